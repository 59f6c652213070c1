import ArgumentParser

/// `airlock audit …`: verify, prove and export the audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, prove and export the tamper-evident audit log.",
        subcommands: []
    )
}
