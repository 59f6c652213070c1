import CEL

/// What the lifecycle knows of one mutation: enough to decide what every event does to it.
///
/// The engine builds it from the store (the mutation, its latest review and that review's
/// votes) before each event, and the store refuses a write made from a state that changed
/// meanwhile, so two events never both act on the same state.
public struct LifecycleState: Sendable, Hashable {
    /// Where the mutation stands.
    public var status: MutationStatus
    /// The principal that submitted it: never one of its reviewers.
    public var submitter: String
    /// Who is accountable for the submitter, nearest first (its owner, that owner's owner, …):
    /// none of them may review its mutations either.
    public var owners: [String] = []
    /// For a revision, the reviewer who wrote its values: not one of its reviewers either.
    public var reviser: String?
    /// Who applies it once approved.
    public var executor: ExecutorKind
    /// Whether an executed change may be undone without an admin forcing it (the resource's
    /// `reversible`).
    public var reversible: Bool
    /// Its latest review, if one was opened.
    public var review: ReviewState?
    /// How many rollbacks were started so far (each attempt has its own compensating key).
    public var rollbackAttempts: Int
    /// The hash of the mutation's content, which a vote may name (``Seen``).
    public var contentHash: String
    /// The policy version the mutation stands decided under, which a vote may name.
    public var policyVersion: String?

    /// Who applies an approved mutation.
    public enum ExecutorKind: String, Sendable, Hashable, CaseIterable {
        /// An executor of Airlock's (`sql`, `http`): `approved` moves on to `executing` at once.
        case airlock
        /// The caller applies it and reports the outcome; the mutation waits `approved`.
        case caller
    }

    /// A state with every part given.
    public init(
        status: MutationStatus, submitter: String, executor: ExecutorKind, reversible: Bool, review: ReviewState? = nil,
        rollbackAttempts: Int = 0, contentHash: String = "", policyVersion: String? = nil
    ) {
        self.status = status
        self.submitter = submitter
        self.executor = executor
        self.reversible = reversible
        self.review = review
        self.rollbackAttempts = rollbackAttempts
        self.contentHash = contentHash
        self.policyVersion = policyVersion
    }
}

/// A review as the lifecycle sees it: what it needs, what it has, how it ends when time runs out.
public struct ReviewState: Sendable, Hashable {
    /// Blocking (the mutation waits) or parallel (it already went ahead).
    public var mode: ReviewMode
    /// Open, or how it closed.
    public var status: ReviewStatus
    /// The approver groups in force; all must complete.
    public var groups: [ApprovalGroup]
    /// How many distinct rejections close it as rejected.
    public var rejectAfter: Int
    /// The pool asked when the deadline passes for the first time, if any.
    public var escalateTo: String?
    /// What happens when the deadline passes with no escalation left.
    public var onTimeout: OnTimeout
    /// How many times it was escalated.
    public var escalations: Int
    /// When it is due; `nil` without an SLA (it then never times out).
    public var deadline: Timestamp?
    /// Its SLA in seconds: an escalation is due this long after it happens.
    public var slaSeconds: Int?
    /// The votes cast so far, oldest first.
    public var ballots: [Ballot]

    /// A review with every part given.
    public init(
        mode: ReviewMode, status: ReviewStatus = .open, groups: [ApprovalGroup], rejectAfter: Int = 1,
        escalateTo: String? = nil, onTimeout: OnTimeout = .reject, escalations: Int = 0, ballots: [Ballot] = [],
        deadline: Timestamp? = nil, slaSeconds: Int? = nil
    ) {
        self.mode = mode
        self.status = status
        self.groups = groups
        self.rejectAfter = rejectAfter
        self.escalateTo = escalateTo
        self.onTimeout = onTimeout
        self.escalations = escalations
        self.ballots = ballots
        self.deadline = deadline
        self.slaSeconds = slaSeconds
    }

    /// The review a decision's requirement opens at `time` (due its SLA later).
    public init(mode: ReviewMode, requirement: ApprovalRequirement, openedAt time: Timestamp? = nil) {
        self.init(
            mode: mode, groups: requirement.groups, rejectAfter: max(1, requirement.rejectAfter),
            escalateTo: requirement.escalateTo, onTimeout: requirement.onTimeout,
            deadline: time.flatMap { time in requirement.slaSeconds.map { time.adding(seconds: $0) } },
            slaSeconds: requirement.slaSeconds)
    }

    /// How many distinct reviewers rejected.
    public var rejections: Int { ballots.count { !$0.approve } }

    /// Whether the approvals fill every group (each approver counted once, for one of its pools).
    public var quorumMet: Bool {
        ApprovalQuorum.isMet(groups, approvers: ballots.filter(\.approve).map(\.pools))
    }

    /// Whether the rejections reach `reject_after`.
    public var rejected: Bool { rejections >= max(1, rejectAfter) }
}

extension Timestamp {
    /// The time `seconds` later.
    func adding(seconds: Int) -> Timestamp {
        Timestamp(seconds: self.seconds + Int64(seconds), nanos: nanos)
    }
}

/// One reviewer's vote, with the pools it may count for.
public struct Ballot: Sendable, Hashable {
    /// The reviewer's principal id.
    public var reviewer: String
    /// Approve or reject.
    public var approve: Bool
    /// The pools of the review's groups the reviewer belongs to (and the pool its vote was
    /// recorded for): the places it may fill.
    public var pools: Set<String>

    public init(reviewer: String, approve: Bool, pools: Set<String>) {
        self.reviewer = reviewer
        self.approve = approve
        self.pools = pools
    }
}
