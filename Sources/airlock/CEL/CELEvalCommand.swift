import ArgumentParser
import CEL
import Foundation

/// `airlock cel eval 'EXPR' [--var name=JSON …]`: compiles and evaluates one expression and
/// prints the result as CEL (or JSON with `--json`).
struct CELEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a CEL expression.",
        discussion: """
            Variables are given as JSON (`--var amount=12.5 --var actor='{"role": "agent"}'`) and \
            declared as dyn for the type checker. Compile errors are printed to stderr with a caret \
            under the problem; evaluation errors too. Both exit non-zero.
            """
    )

    @Argument(help: "The expression.")
    var expression: String

    @Option(
        name: .customLong("var"), help: ArgumentHelp("A variable as name=JSON; repeatable.", valueName: "name=JSON"))
    var variables: [String] = []

    @Flag(help: "Skip the type checker (type errors surface only during evaluation).")
    var noCheck = false

    @Flag(help: "Print the result as JSON instead of CEL.")
    var json = false

    func validate() throws {
        _ = try parsedVariables()
    }

    /// The `--var` values, read from JSON.
    private func parsedVariables() throws(ValidationError) -> [String: Value] {
        var values: [String: Value] = [:]
        for assignment in variables {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--var expects name=JSON, got '\(assignment)'")
            }
            let name = String(assignment[..<equals])
            do {
                values[name] = try Value(json: String(assignment[assignment.index(after: equals)...]))
            } catch {
                throw ValidationError("--var \(name): invalid JSON at \(error)")
            }
        }
        return values
    }

    func run() throws {
        let values = try parsedVariables()
        let environment = Environment(variables: values.mapValues { _ in CELType.dyn })
        let program: Program
        do {
            program = try environment.compile(expression, options: CompileOptions(check: !noCheck))
        } catch {
            Self.printError(error.description)
            throw ExitCode.failure
        }
        do {
            let result = try program.evaluate(Activation(values))
            print(json ? result.jsonString(prettyPrinted: true) : result.description)
        } catch {
            Self.printError("evaluation error: \(error.message)")
            throw ExitCode.failure
        }
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
