import ArgumentParser

/// `airlock audit …`: verify, prove and export the audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, prove and export the tamper-evident audit log.",
        discussion: "The log's format, and how to verify it without Airlock, are in docs/audit.md.",
        subcommands: [
            AuditVerifyCommand.self, AuditProveCommand.self, AuditConsistencyCommand.self, AuditVerifyProofCommand.self, AuditExportCommand.self,
            AuditShowCommand.self, AuditKeyCommand.self, AuditCheckpointCommand.self, AuditStressWriterCommand.self,
        ]
    )
}
