import AirlockCore
import ArgumentParser

/// `airlock policy test PACK [--tests FILE]`: runs the pack's tests.
struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a policy pack's inline tests (and a tests file).",
        discussion: """
            Prints each failure with the expected and actual tier and the rules that fired, then \
            the rules no test made match, and ends with the line 'N passed, N failed'. Exits \
            non-zero when a test fails.
            """
    )

    @Argument(help: "The pack: a YAML file or a directory of YAML files.")
    var pack: String

    @Option(help: "A YAML file of more tests (a list, or a mapping with a 'tests' key).")
    var tests: [String] = []

    @Flag(help: "Print passing tests too.")
    var verbose = false

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        var all = loaded.tests
        for path in tests {
            do {
                all += try loaded.loadTests(name: path, text: try PolicyIO.readText(path))
            } catch let error as PolicyError {
                for problem in error.problems { PolicyIO.printError(problem.description) }
                throw ExitCode.failure
            }
        }
        let engine = PolicyEngine(pack: loaded)
        let results = engine.run(all)
        var passed = 0
        var failed = 0
        for result in results {
            let test = result.test
            if result.passed {
                passed += 1
                if verbose { print("PASS \(test.location): \(test.name)") }
                continue
            }
            failed += 1
            print("FAIL \(test.location): \(test.name)")
            for failure in result.failures { print("  \(failure)") }
            if let decision = result.decision {
                let expected = test.expect.tier.map { "\($0)" } ?? "(any)"
                print("  tier: expected \(expected), actual \(decision.tier) (score \(decision.score))")
                let fired = decision.matchedRules
                print("  rules fired: \(fired.isEmpty ? "none" : fired.joined(separator: ", "))")
            } else if let invalid = result.validationFailure {
                print("  invalid: \(invalid.issues.map(\.description).joined(separator: "; "))")
            }
        }
        let uncovered = engine.uncoveredRules(by: results)
        if !uncovered.isEmpty {
            print("rules no test makes match: \(uncovered.joined(separator: ", "))")
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
