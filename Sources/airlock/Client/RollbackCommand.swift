import ArgumentParser
import Foundation

/// `airlock rollback ID --note TEXT`: undo an executed mutation (admins, or reviewers of its pools).
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll back an executed mutation, restoring what it changed.",
        discussion: """
            executed → rolling_back → rolled_back, audited. Refused (409) when someone changed the \
            record since the mutation applied: Airlock never overwrites blindly. A change to a \
            resource declared `reversible: false` is refused too, unless an admin passes --force \
            (audited as forced).
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Option(help: ArgumentHelp("Why it is rolled back, kept in the audit log (required).", valueName: "TEXT"))
    var note: String

    @Flag(help: "Roll back a change to an irreversible resource (admins only; audited as forced).")
    var force = false

    func validate() throws {
        if note.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--note must say why") }
    }

    func run() async throws {
        try await client.run { api throws(ClientError) in
            let (answer, mutation) = try await api.rollback(id, note: note, force: force)
            if client.json {
                Console.write(answer.body)
                return
            }
            Console.print("rolled back \(mutation.id): now \(mutation.status)")
        }
    }
}
