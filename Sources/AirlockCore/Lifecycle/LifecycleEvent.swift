import CEL

/// Something that happens to a mutation: the input of ``Lifecycle/handle(_:in:)``.
public enum LifecycleEvent: Sendable, Hashable {
    /// Triage found the submission invalid.
    case invalid
    /// Policy decided at `at`: the tier routing acts on and, for medium and high, the approvals
    /// needed (a review it opens is due the requirement's SLA after `at`).
    case decided(tier: Tier, approvals: ApprovalRequirement?, at: Timestamp)
    /// A reviewer voted; `pools` are the reviewer's pools (all of them: the lifecycle keeps those
    /// the review needs). `seen` is what the reviewer was shown, when the vote says: a vote for
    /// other content or another policy version than the mutation's is refused.
    case voteCast(reviewer: String, approve: Bool, pools: Set<String>, seen: Seen? = nil)
    /// A reviewer of the review asked for changes: a revision with edited values replaces the
    /// mutation (blocking reviews only: a parallel review's change already ran).
    case changesRequested(reviewer: String, pools: Set<String>)
    /// A newly activated policy version decided the mutation again, from what its first decision
    /// saw: routed at `tier` with `approvals`. Applies while a review is open: a blocking one is
    /// re-routed (block rejects, low and medium go ahead, other approvals open a new review), a
    /// parallel one is rolled back when the new version blocks, else given the new approvals.
    case redecided(tier: Tier, approvals: ApprovalRequirement?, at: Timestamp)
    /// The votes already cast are counted again (start-up reconciliation of a review whose
    /// quorum a crash left unsettled).
    case votesRecounted
    /// Airlock's executor finished applying the change.
    case executorFinished(ExecutorResult)
    /// The caller reports how its own execution went.
    case outcomeReported(executed: Bool)
    /// Someone asks for the executed change to be undone; `force` overrides `reversible: false`
    /// (admins only: the engine checks who asks).
    case rollbackRequested(force: Bool)
    /// The executor finished a rollback.
    case rollbackFinished(RollbackResult)
    /// The clock reached `at`, at or after the open review's deadline (a review whose deadline
    /// is later, or that has none, refuses it: the deadline moved meanwhile).
    case deadlinePassed(at: Timestamp)

    /// The event's name, for messages and tests.
    public var name: String {
        switch self {
        case .invalid: "invalid"
        case .decided: "decided"
        case .voteCast: "vote_cast"
        case .changesRequested: "changes_requested"
        case .redecided: "redecided"
        case .votesRecounted: "votes_recounted"
        case .executorFinished: "executor_finished"
        case .outcomeReported: "outcome_reported"
        case .rollbackRequested: "rollback_requested"
        case .rollbackFinished: "rollback_finished"
        case .deadlinePassed: "deadline_passed"
        }
    }
}

/// What a reviewer was shown when voting: the mutation's content hash and the policy version that
/// decided it. Either may be absent (a client that does not send it); a present one must match.
public struct Seen: Sendable, Hashable {
    public var contentHash: String?
    public var policyVersion: String?

    public init(contentHash: String? = nil, policyVersion: String? = nil) {
        self.contentHash = contentHash
        self.policyVersion = policyVersion
    }
}

/// What the executor reports after applying a change.
public enum ExecutorResult: Sendable, Hashable {
    /// Applied; the read-back verification found this.
    case applied(Verification)
    /// A precondition failed: nothing was written.
    case conflict(String)
    /// It could not be applied (and nothing, or a compensated part, is left).
    case failed(String)
    /// The executor cannot tell yet (a crash's outcome unknown): the mutation stays `executing`.
    case undetermined(String)
}

/// What reading an applied change back found.
public enum Verification: Sendable, Hashable {
    /// The target holds the requested values.
    case matches
    /// The target differs; the text names each difference.
    case mismatch(String)
    /// The target could not be read back.
    case unverifiable(String)
}

/// What the executor reports after a rollback.
public enum RollbackResult: Sendable, Hashable {
    /// The before-image is restored.
    case rolledBack
    /// Nothing was written (the target changed since): the change stands.
    case refused(String)
    /// The rollback could not be carried out: the change stands, and a person must look.
    case failed(String)
}
