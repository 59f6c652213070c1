/// The executor of every resource, as built from an ``ExecutorConfiguration``.
public struct Executors: Sendable {
    private let byResource: [String: any Executor]

    /// Executors by resource name.
    public init(_ executors: [String: any Executor] = [:]) {
        byResource = executors
    }

    /// The executor of a resource; a ``NoneExecutor`` (the caller executes) when none is configured.
    public func executor(for resource: String) -> any Executor {
        byResource[resource] ?? NoneExecutor()
    }

    /// Whether a resource has a configured executor.
    public func isConfigured(_ resource: String) -> Bool {
        byResource[resource] != nil
    }

    /// The resources with a configured executor, sorted.
    public var resources: [String] { byResource.keys.sorted() }
}
