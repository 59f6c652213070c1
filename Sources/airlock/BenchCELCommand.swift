import ArgumentParser

/// `airlock bench cel`.
struct BenchCELCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cel", abstract: "Not measured yet.")
    func run() throws { throw ValidationError("not written yet") }
}
