import ArgumentParser

/// `airlock review approve ID [--note TEXT]`.
struct ReviewApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a mutation awaiting your review.",
        discussion: "The mutation is approved once the required number of distinct reviewers have approved it."
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Option(help: ArgumentHelp("Why you approve it, kept in the audit log.", valueName: "TEXT"))
    var note: String?

    func run() async throws {
        try await ReviewVote.cast(approve: true, on: id, note: note, client: client)
    }
}
