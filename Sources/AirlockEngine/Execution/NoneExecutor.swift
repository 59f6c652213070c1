import CEL

/// The executor of a resource whose caller applies approved mutations itself and reports the
/// outcome (`POST /v1/mutations/{id}/outcome`). It reads nothing, applies nothing and cannot
/// undo anything: a rollback is the caller's job.
public struct NoneExecutor: Executor {
    public init() {}

    /// True: the caller applies every record of a bulk mutation itself.
    public var supportsBulk: Bool { true }

    public var canRead: Bool { false }

    public func read(target: String) async -> CELMap? { nil }

    public func apply(_ request: ExecutionRequest) async -> ExecutionOutcome { .deferredToCaller }

    public func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
        .unverifiable("the caller applies this resource's changes; Airlock cannot read them back")
    }

    public func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
        .failed("the caller applies this resource's changes; it must undo mutation \(change.mutationID) itself")
    }

    public func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome {
        .unknown("the caller applies this resource's changes and reports the outcome")
    }
}
