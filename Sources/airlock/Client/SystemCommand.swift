import ArgumentParser
import Foundation

/// `airlock system [show|freeze|thaw]`: the gateway's own state, as policies read it
/// (`system.*`), and the incident freeze.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Show the gateway's state (freeze, queue depth, rollback rate); freeze or thaw it.",
        discussion: """
            Policies read this state as system.freeze, system.queue_depth and \
            system.rollback_rate_1h. A freeze (admins; audited; kept across restarts) is meant for \
            incidents: with the example pack, every change by an agent or a service then waits \
            for a person's approval.

            Examples:
              airlock system
              airlock system freeze --reason "payments incident INC-4711"
              airlock system thaw --reason "resolved"
            """,
        subcommands: [SystemShowCommand.self, SystemFreezeCommand.self, SystemThawCommand.self],
        defaultSubcommand: SystemShowCommand.self
    )
}

/// `airlock system show`: the state as `GET /v1/system` answers it.
struct SystemShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show the freeze, the queue depth, the rollback rate and the policy in force.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.run { api throws(ClientError) in
            let answer = try await api.system()
            if client.json {
                Console.write(answer.body)
                return
            }
            Console.print(SystemReport(system: answer.json, time: DisplayTime(now: Date())).lines.joined(separator: "\n"))
        }
    }
}

/// `airlock system freeze --reason TEXT`: freezes the gateway (admins).
struct SystemFreezeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze",
        abstract: "Freeze the gateway: rules see system.freeze = true from the next decision on (admins; audited).")

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("Why, kept in the audit log and shown to everyone (required).", valueName: "TEXT"))
    var reason: String

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
    }

    func run() async throws {
        try await SystemCommand.set(true, reason: reason, client: client)
    }
}

/// `airlock system thaw [--reason TEXT]`: ends a freeze (admins).
struct SystemThawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thaw", abstract: "End a freeze: rules see system.freeze = false again (admins; audited).")

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("Why, kept in the audit log.", valueName: "TEXT"))
    var reason: String?

    func run() async throws {
        try await SystemCommand.set(false, reason: reason, client: client)
    }
}

extension SystemCommand {
    /// Freezes or thaws, then prints the state now in force.
    static func set(_ on: Bool, reason: String?, client: ClientOptions) async throws {
        try await client.run { api throws(ClientError) in
            let answer = try await api.setFreeze(on, reason: reason)
            if client.json {
                Console.write(answer.body)
                return
            }
            Console.print((on ? "frozen" : "thawed") + "\n" + SystemReport(system: answer.json, time: DisplayTime(now: Date())).lines.joined(separator: "\n"))
        }
    }
}
