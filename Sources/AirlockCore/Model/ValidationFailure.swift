/// One problem with a mutation: where (a field path such as `changes.amount`) and what.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The path of the offending part: `resource`, `operation`, `target`, `targets[2]`,
    /// `changes.amount`, `before.price`, or the name of a field in an actor or signals document.
    public var path: String
    /// What is wrong, for a person.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// A mutation (or an actor, or signals) that does not conform: every problem found, not just the
/// first. Nothing invalid reaches the rules.
public struct ValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, in the order they were found.
    public var issues: [ValidationIssue]

    public init(issues: [ValidationIssue]) {
        self.issues = issues
    }

    public init(path: String, message: String) {
        self.issues = [ValidationIssue(path: path, message: message)]
    }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
