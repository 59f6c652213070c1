import ArgumentParser
import Foundation

/// `airlock review reject ID --note TEXT`.
struct ReviewRejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Reject a mutation awaiting your review, saying why.",
        discussion: "The note is required. The policy says how many rejections close a review (usually one)."
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Option(
        help: ArgumentHelp("Why you reject it (required; kept in the audit log and shown to the submitter).", valueName: "TEXT"))
    var note: String

    func validate() throws {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--note must say why the mutation is rejected")
        }
    }

    func run() async throws {
        try await ReviewVote.cast(approve: false, on: id, note: note, client: client)
    }
}
