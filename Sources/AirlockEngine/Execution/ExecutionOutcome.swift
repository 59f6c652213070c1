/// What ``Executor/apply(_:)`` did.
public enum ExecutionOutcome: Sendable {
    /// The change is applied; keep the images to verify and roll it back.
    case executed(ExecutedChange)
    /// A precondition failed (a record no longer holds what the decision saw, or does not exist,
    /// or already exists): nothing was written. The reason names the record. (An `http` bulk
    /// change whose later record is refused has its earlier records compensated; the reason says
    /// so, and says when a compensation failed.)
    case conflict(String)
    /// The change could not be applied. When `retryable`, the cause may pass (the database was
    /// busy, the service answered 5xx or timed out after every attempt): for `sql` nothing was
    /// written; for `http` the service may have applied it (or, in bulk, some of its records),
    /// and ``Executor/reconcile(_:)`` (which re-sends under the same idempotency keys) tells. When
    /// not retryable, nothing is left applied unless the reason says a compensation failed.
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
    /// Every record's before-image is restored (also when an earlier call had already restored
    /// it).
    case rolledBack
    /// Nothing was written: a record changed since the mutation applied (no blind overwrite),
    /// or the executor has no record of the change. In bulk, one such record refuses them all.
    case refused(String)
    /// The rollback could not be carried out; a person takes over. (An `http` bulk rollback may
    /// have restored some records first: the reason names them.)
    case failed(String)
}

/// What ``Executor/reconcile(_:)`` found for a mutation left `executing`.
public enum ReconciliationOutcome: Sendable {
    /// The change is in the target, every record of it (for `http`: every re-sent request
    /// succeeded): the mutation is executed, with these images.
    case applied(ExecutedChange)
    /// The change is not in the target and nothing is under way: applying it now is safe. (For
    /// an `http` bulk change, records whose re-sent request succeeded before another record was
    /// refused have been compensated.)
    case notApplied
    /// The executor cannot tell now (target unavailable, or the caller reports the outcome):
    /// leave the mutation `executing` and try again later.
    case unknown(String)
}
