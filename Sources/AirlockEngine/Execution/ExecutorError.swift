/// An executor that cannot be set up: its database, table or columns are missing, or its
/// settings do not make sense. Raised at start-up, never while executing (executors report
/// outcomes as values).
public struct ExecutorError: Error, Sendable, CustomStringConvertible {
    /// The resource whose executor failed.
    public var resource: String
    /// What is wrong, for a person.
    public var message: String

    public init(resource: String, message: String) {
        self.resource = resource
        self.message = message
    }

    public var description: String { "executor of \(resource): \(message)" }
}
