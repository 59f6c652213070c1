import ArgumentParser
import Foundation

/// `airlock review show ID`: everything a reviewer needs to decide on one mutation.
struct ReviewShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one mutation in full: its changes, why it is held, its votes so far."
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    func run() async throws {
        try await client.run { api throws(ClientError) in
            let (answer, mutation) = try await api.mutation(id)
            if client.json {
                Console.write(answer.body)
                return
            }
            var lines = MutationReport(mutation: mutation, time: DisplayTime(now: Date())).lines([.changes, .timeline])
            if mutation.approvals?.state == "open" {
                lines.append(
                    "decide: airlock review approve \(mutation.id) [--note TEXT] | airlock review reject \(mutation.id) --note TEXT"
                )
            }
            Console.print(lines.joined(separator: "\n"))
        }
    }
}
