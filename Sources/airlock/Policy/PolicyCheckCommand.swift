import AirlockCore
import AirlockEngine
import ArgumentParser

/// `airlock policy check PACK`: parses the pack and type-checks every condition.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a policy pack: YAML, keys, schemas, thresholds, and every CEL condition.",
        discussion: """
            PACK is a YAML file or a directory of them (read in name order). Each problem is \
            printed to standard error as file:line:column: message, and the exit status is \
            non-zero. On success, prints the pack's name, size and version (its content hash). \
            With --config, also refuses a pool that no principal of that configuration belongs to \
            (what `airlock serve` refuses at start-up).
            """
    )

    @Argument(help: "The pack: a YAML file or a directory of YAML files.")
    var pack: String

    @Option(help: "The server configuration whose principals must cover every pool the pack names.")
    var config: String?

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        if let config {
            let configuration: GatewayConfiguration
            do {
                configuration = try GatewayConfiguration.load(file: config)
            } catch {
                PolicyIO.printError("\(error)")
                throw ExitCode.failure
            }
            let members = Set(configuration.principals.principals.flatMap(\.pools))
            let missing = loaded.pools.filter { !members.contains($0.name) }
            for pool in missing {
                PolicyIO.printError("\(pool.location): no principal of \(config) belongs to pool '\(pool.name)'")
            }
            if !missing.isEmpty { throw ExitCode.failure }
        }
        print(
            "ok: \(loaded.name): \(loaded.resources.count) resources, \(loaded.rules.count) rules, "
                + "\(loaded.tests.count) tests; version \(loaded.version)")
    }
}
