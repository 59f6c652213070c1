import ArgumentParser

/// `airlock bench audit`.
struct BenchAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Not measured yet.")
    func run() throws { throw ValidationError("not written yet") }
}
