import CEL
import Foundation

/// Runs the CEL specification's conformance tests (`SimpleTestFile` text format) against this
/// package's compiler and evaluator.
///
/// ```swift
/// let report = try ConformanceRunner.run(fileAt: "cel-conformance/basic.textproto")
/// print(report.summary)  // basic: 43 passed, 0 failed, 0 skipped
/// ```
public struct ConformanceRunner: Sendable {
    /// The cost budget of each evaluation.
    public var costLimit: Int?

    public init(costLimit: Int? = CompileOptions().costLimit) {
        self.costLimit = costLimit
    }

    /// Reads and runs a file with the default settings.
    public static func run(fileAt path: String) throws -> FileReport {
        try ConformanceRunner().run(fileAt: path)
    }

    /// Reads and runs a file. Throws ``ConformanceFileError`` when the file cannot be read and
    /// ``TextFormatError`` (with `path:line:column`) when it is malformed; failing tests are not
    /// errors, they are in the report.
    public func run(fileAt path: String) throws -> FileReport {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConformanceFileError(path: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        let file = try ConformanceFile(textFormat: String(decoding: bytes, as: UTF8.self), path: path)
        return run(file, path: path)
    }

    /// Runs every test of a file.
    public func run(_ file: ConformanceFile, path: String? = nil) -> FileReport {
        var results: [TestResult] = []
        for section in file.sections {
            for test in section.tests {
                results.append(
                    TestResult(
                        section: section.name, name: test.name, expression: test.expression,
                        location: test.location, outcome: run(test)))
            }
        }
        var name = file.name
        if name.isEmpty, let path {
            name = String(path.split(separator: "/").last ?? Substring(path))
            if name.hasSuffix(".textproto") { name.removeLast(".textproto".count) }
        }
        return FileReport(name: name, path: path, results: results, ignoredFields: file.ignoredFields)
    }

    /// Runs one test: skips it if it needs what is not supported, else compiles it (checked
    /// unless `disable_check`), evaluates it with its bindings and compares the outcome.
    public func run(_ test: ConformanceTest) -> TestOutcome {
        let reasons = SkipRules.reasons(for: test)
        if !reasons.isEmpty { return .skipped(reasons) }

        let check = !test.disableCheck || test.checkOnly
        let environment = Environment(variables: test.declarations)
        let options = CompileOptions(check: check, macros: !test.disableMacros, costLimit: costLimit)
        let program: Program
        do {
            program = try environment.compile(test.expression, options: options)
        } catch {
            if error.stage == .check, expectsError(test.expectation) { return .passed }
            let stage = error.stage == .check ? "check error" : "syntax error"
            let issues = error.issues.map(\.description).joined(separator: "; ")
            return .failed(TestFailure(expected: describe(test.expectation), actual: "\(stage): \(issues)"))
        }

        if check, case .typedResult(_, let type?) = test.expectation, !typesMatch(program.resultType, type) {
            return .failed(
                TestFailure(expected: "deduced type \(type)", actual: "deduced type \(program.resultType)"))
        }
        if test.checkOnly { return .passed }

        let result: Result<Value, EvalError>
        do {
            result = .success(try program.evaluate(Activation(test.bindings)))
        } catch {
            result = .failure(error)
        }
        return compare(result, with: test.expectation)
    }

    private func expectsError(_ expectation: Expectation) -> Bool {
        switch expectation {
        case .evalError, .anyEvalErrors: true
        default: false
        }
    }

    private func compare(_ result: Result<Value, EvalError>, with expectation: Expectation) -> TestOutcome {
        let actual: String
        switch result {
        case .success(let value): actual = value.description
        case .failure(let error): actual = "evaluation error: \(error.message)"
        }
        switch (expectation, result) {
        case (.evalError, .failure), (.anyEvalErrors, .failure):
            return .passed
        case (.value(let expected), .success(let value)), (.typedResult(let expected?, _), .success(let value)):
            if value.isConformanceEqual(to: expected) { return .passed }
        case (.typedResult(nil, _), .success):
            return .passed
        default:
            break
        }
        return .failed(TestFailure(expected: describe(expectation), actual: actual))
    }

    private func describe(_ expectation: Expectation) -> String {
        switch expectation {
        case .value(let value): value.description
        case .typedResult(let value, let type):
            [value.map(\.description), type.map { "of type \($0)" }].compactMap { $0 }.joined(separator: " ")
        case .evalError, .anyEvalErrors: "an evaluation error"
        case .unknown: "an unknown result"
        }
    }

    /// Equal types; a deduced type parameter or `dyn` in the expectation matches anything.
    private func typesMatch(_ actual: CELType, _ expected: CELType) -> Bool {
        switch (actual, expected) {
        case (_, .typeParam): return true
        case (.list(let a), .list(let e)): return typesMatch(a, e)
        case (.map(let ak, let av), .map(let ek, let ev)): return typesMatch(ak, ek) && typesMatch(av, ev)
        case (.type(let a), .type(let e)): return typesMatch(a, e)
        default: return actual == expected
        }
    }
}

/// A conformance file that could not be opened or read.
public struct ConformanceFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
