import AirlockCore
import ArgumentParser

/// `airlock policy check PACK`: parses the pack and type-checks every condition.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a policy pack: YAML, keys, schemas, thresholds, and every CEL condition.",
        discussion: """
            PACK is a YAML file or a directory of them (read in name order). Each problem is \
            printed to standard error as file:line:column: message, and the exit status is \
            non-zero. On success, prints the pack's name, size and version (its content hash).
            """
    )

    @Argument(help: "The pack: a YAML file or a directory of YAML files.")
    var pack: String

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        print(
            "ok: \(loaded.name): \(loaded.resources.count) resources, \(loaded.rules.count) rules, "
                + "\(loaded.tests.count) tests; version \(loaded.version)")
    }
}
