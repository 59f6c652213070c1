import CEL

/// Applies approved mutations of one resource to the system that owns the data, and knows how
/// to check, undo and reconcile what it did.
///
/// The gateway calls an executor only after `executing` is durable (write-ahead), so every
/// method must be safe to call again for the same mutation after a crash:
///
/// - ``apply(_:)`` writes the change only if the target still holds the ``ExecutionRequest/before``
///   values the decision saw, and reports the before- and after-images it needs to undo it.
/// - ``verify(_:change:)`` reads the target back and compares it with the requested changes.
/// - ``rollback(_:attempt:)`` restores the before-image, and refuses when the target changed
///   since.
/// - ``reconcile(_:)`` tells, for a mutation found `executing` at start-up, whether it happened.
///
/// Executors report every outcome as a value; none of these methods throws.
public protocol Executor: Sendable {
    /// Whether ``apply(_:)`` and the other methods handle a request of several records (a bulk
    /// mutation's `targets`); the gateway refuses bulk submissions for a resource whose executor
    /// does not.
    var supportsBulk: Bool { get }

    /// Whether ``read(target:)`` can return the target's current values, so that the gateway can
    /// hand them to the policy as `mutation.before`.
    var canRead: Bool { get }

    /// The current values of the target's fields, by field name; `nil` when the target does not
    /// exist or cannot be read.
    func read(target: String) async -> CELMap?

    /// Applies a change once, if its preconditions hold.
    func apply(_ request: ExecutionRequest) async -> ExecutionOutcome

    /// Reads the target back and compares it with what the request asked for.
    func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome

    /// Undoes an applied change by restoring its before-image; never overwrites a target that
    /// changed since the change was applied. `attempt` counts the rollbacks asked for this change,
    /// from 1: an executor whose target remembers answers by idempotency key (`http`) sends a
    /// later attempt under a new key, so that a refusal is not answered again from memory.
    func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome

    /// Finds out whether a mutation left `executing` by a crash was applied.
    func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome
}
