import CEL

/// What the engine must do after an event, beyond moving the status: the output of
/// ``Lifecycle/handle(_:in:)`` besides the moves.
///
/// The effects before ``execute`` and ``rollBack(_:)`` are writes, committed in one transaction
/// with the status moves; `execute` and `rollBack` call the executor after that commit, and its
/// answer is the next event.
public enum LifecycleEffect: Sendable, Hashable {
    /// Open a review of this mode and requirement.
    case openReview(ReviewMode, ApprovalRequirement)
    /// Record the vote, for this pool (the first of the reviewer's that still needs approvals).
    case recordVote(pool: String)
    /// Record the mutation's new decision (a newly activated policy version's), routed at this
    /// tier.
    case recordDecision(Tier)
    /// Close the open review with this outcome.
    case closeReview(ReviewStatus)
    /// Hand the open review to other groups, due at `deadline` (none when the review has no SLA).
    case escalateReview([ApprovalGroup], deadline: Timestamp?)
    /// Count the mutation in the signal history (it is approved to run).
    case learnSignal
    /// Raise an alarm: an audit record of its own, for people to act on.
    case raiseAlarm(Alarm)
    /// After the commit: call the executor to apply the change.
    case execute
    /// After the commit: call the executor to undo the change.
    case rollBack(RollbackCause)
}

/// An alarm the lifecycle raises.
public enum Alarm: Sendable, Hashable {
    /// The applied change does not read back as requested (the text says how).
    case verificationFailed(String)
    /// A rollback was refused: the target changed since (the change stands).
    case rollbackRefused(String)
    /// A rollback failed: the change stands and a person must look.
    case rollbackFailed(String)

    /// The audit kind's name (`verification_failed`, …).
    public var kind: String {
        switch self {
        case .verificationFailed: "verification_failed"
        case .rollbackRefused: "rollback_refused"
        case .rollbackFailed: "rollback_failed"
        }
    }

    /// What happened, for people.
    public var detail: String {
        switch self {
        case .verificationFailed(let what), .rollbackRefused(let what), .rollbackFailed(let what): what
        }
    }
}

/// Why an executed change is being undone.
public enum RollbackCause: Sendable, Hashable {
    /// Someone asked (forced past `reversible: false` when `forced`).
    case requested(forced: Bool)
    /// Its parallel review was rejected.
    case reviewRejected
    /// Its parallel review was rejected while the change was being applied.
    case reviewRejectedWhileExecuting
    /// Its parallel review ran out of time and the policy says `on_timeout: reject`.
    case reviewExpired
    /// The applied change did not read back as requested.
    case verificationFailed(String)

    /// The reason as the audit log records it (a request's own note is the engine's to add).
    public var text: String {
        switch self {
        case .requested(let forced): forced ? "requested (forced past reversible: false)" : "requested"
        case .reviewRejected: "the parallel review was rejected"
        case .reviewRejectedWhileExecuting: "the parallel review was rejected while it was executing"
        case .reviewExpired: "the parallel review expired"
        case .verificationFailed(let what): "verification failed: \(what)"
        }
    }
}
