import ArgumentParser
import CEL
import Foundation

/// `airlock review request-changes ID --changes JSON --note TEXT`.
struct ReviewRequestChangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request-changes",
        abstract: "Ask for changes to a mutation awaiting your approval: your edited values become a revision.",
        discussion: """
            The revision (same resource, operation and target; the changes you give, whole: a field \
            you leave out is dropped) is submitted in the submitter's name and decided by the policy \
            afresh, so it may still need approval. The old mutation ends superseded, linked to it.
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Option(help: ArgumentHelp("The revision's changes, as a JSON object (e.g. '{\"amount\": 500}').", valueName: "JSON"))
    var changes: String

    @Option(help: ArgumentHelp("Why (required; kept in the audit log and shown to the submitter).", valueName: "TEXT"))
    var note: String

    func validate() throws {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--note must say what should change and why")
        }
        guard case .map? = try? Value(json: changes) else {
            throw ValidationError("--changes must be a JSON object of field values, such as '{\"amount\": 500}'")
        }
    }

    func run() async throws {
        let edited = try Value(json: changes)
        try await client.run { api throws(ClientError) in
            let answer = try await api.post(
                "/v1/mutations/\(APIClient.pathSegment(id))/request-changes",
                json: .map(CELMap([(.string("changes"), edited), (.string("note"), .string(note))])))
            if client.json {
                Console.write(answer.body)
                return
            }
            guard let revision = RemoteMutation(json: answer.json) else {
                throw .unexpectedAnswer(url: api.baseURL.absoluteString, status: answer.status, reason: "the answer is not a mutation")
            }
            Console.print(
                "asked for changes to \(id): revision \(revision.id) is \(revision.status)"
                    + (revision.tier.map { " (tier \($0))" } ?? ""))
        }
    }
}
