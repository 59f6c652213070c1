import ArgumentParser

/// `airlock bench policy`.
struct BenchPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Not measured yet.")
    func run() throws { throw ValidationError("not written yet") }
}
