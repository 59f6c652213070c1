/// One problem found while parsing or checking an expression.
public struct Issue: Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var location: SourceLocation
    /// What is wrong, for a person.
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location.line):\(location.column): \(message)" }
}

/// The problems that stopped an expression from compiling: syntax errors, or type errors found
/// by the checker. Its description shows each with the source line and a caret under the column.
public struct CompileError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem stopped compilation.
    public enum Stage: Sendable { case syntax, check }

    public var stage: Stage
    public var issues: [Issue]
    public var source: Source

    public init(stage: Stage, issues: [Issue], source: Source) {
        self.stage = stage
        self.issues = issues
        self.source = source
    }

    public var description: String {
        issues.map { issue in
            let line = source.line(issue.location.line)
            let caret = String(repeating: " ", count: max(0, issue.location.column - 1)) + "^"
            return "ERROR: <input>:\(issue.location.line):\(issue.location.column): \(issue.message)\n | \(line)\n | \(caret)"
        }.joined(separator: "\n")
    }
}
