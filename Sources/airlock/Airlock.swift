import ArgumentParser

/// The `airlock` command: the gateway's server, its client and its tools.
@main
struct Airlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airlock",
        abstract: "A gateway for sensitive mutations proposed by AI agents and automated services.",
        subcommands: [
            ServeCommand.self, CELCommand.self, PolicyCommand.self, AuditCommand.self, BenchCommand.self,
            SubmitCommand.self, StatusCommand.self, ReviewCommand.self, RollbackCommand.self, SystemCommand.self, NotifyCommand.self,
            MCPCommand.self, KPICommand.self, MigrateCommand.self, StoreCommand.self,
        ]
    )
}
