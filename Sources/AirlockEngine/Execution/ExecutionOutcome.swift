/// What ``Executor/apply(_:)`` did.
public enum ExecutionOutcome: Sendable {
    /// The change is applied; keep the images to verify and roll it back.
    case executed(ExecutedChange)
    /// A precondition failed (the target no longer holds what the decision saw, or does not
    /// exist, or already exists): nothing was written.
    case conflict(String)
    /// The change could not be applied. When `retryable`, the cause may pass (the database was
    /// busy, the service answered 5xx or timed out after every attempt): for `sql` nothing was
    /// written; for `http` the service may have applied it, and ``Executor/reconcile(_:)``
    /// (which re-sends under the same idempotency key) tells.
    case failed(String, retryable: Bool)
    /// The executor is `none`: the caller applies the change and reports the outcome.
    case deferredToCaller
}

/// What ``Executor/verify(_:change:)`` found.
public enum VerificationOutcome: Sendable, Equatable {
    /// The target holds the requested values (a deleted record is gone).
    case matches
    /// The target differs from what was requested; the description names each difference.
    case mismatch(String)
    /// The target could not be read back (no read URL, the service or database is unavailable).
    case unverifiable(String)
}

/// What ``Executor/rollback(_:attempt:)`` did.
public enum RollbackOutcome: Sendable, Equatable {
    /// The before-image is restored (also when an earlier call had already restored it).
    case rolledBack
    /// Nothing was written: the target changed since the mutation applied (no blind overwrite),
    /// or the executor has no record of the change.
    case refused(String)
    /// The rollback could not be carried out; a person takes over.
    case failed(String)
}

/// What ``Executor/reconcile(_:)`` found for a mutation left `executing`.
public enum ReconciliationOutcome: Sendable {
    /// The change is in the target (for `http`: the re-sent request succeeded): the mutation is
    /// executed, with these images.
    case applied(ExecutedChange)
    /// The change is not in the target and nothing is under way: applying it now is safe.
    case notApplied
    /// The executor cannot tell now (target unavailable, or the caller reports the outcome):
    /// leave the mutation `executing` and try again later.
    case unknown(String)
}
