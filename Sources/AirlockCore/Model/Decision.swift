import CEL

/// What the policy decided for one mutation, and why.
public struct Decision: Sendable {
    /// The tier the policy's rules and score reached.
    public var tier: Tier
    /// The tier routing acts on: ``tier``, except that a medium-tier change of an irreversible
    /// resource is treated as high (nothing irreversible runs before a human has looked).
    public var routedTier: Tier
    /// The sum of the scores of the rules that matched.
    public var score: Int
    /// Why: one entry per matching rule (and per rule that failed to evaluate), in pack order.
    public var reasons: [Reason]
    /// Who must review (medium) or approve (high) at the decided ``tier``, as the rules and the
    /// tier's settings name them; `nil` for low and block.
    public var approvals: ApprovalRequirement?
    /// What routing asks of reviewers at the ``routedTier``: ``approvals``, or — for a medium
    /// change of an irreversible resource routed as high — those merged with the high tier's pool
    /// and its SLA settings. Never without a group for medium and high (the tier's pool, or
    /// `reviewers`, fills in); `nil` for low and block.
    public var requirement: ApprovalRequirement?
    /// The data classes of the touched fields, lowest first (pack order).
    public var dataClasses: [String]
    /// The most sensitive of ``dataClasses``; `nil` when no touched field is classified.
    public var maxClass: String?
    /// How many records the mutation touches.
    public var records: Int
    /// Whether the change can be undone exactly (the resource's `reversible`).
    public var reversible: Bool
    /// The name of the policy pack.
    public var policyName: String
    /// The content hash of the policy pack (``PolicyPack/version``).
    public var policyVersion: String
    /// The injected time the decision was made at.
    public var evaluatedAt: Timestamp
    /// The signals the rules saw.
    public var signals: Signals

    public init(
        tier: Tier, score: Int, reasons: [Reason], approvals: ApprovalRequirement?, dataClasses: [String],
        maxClass: String?, records: Int, reversible: Bool, policyName: String, policyVersion: String,
        evaluatedAt: Timestamp, signals: Signals
    ) {
        self.init(
            tier: tier, routedTier: Self.routedTier(tier, reversible: reversible), score: score, reasons: reasons,
            approvals: approvals, requirement: approvals, dataClasses: dataClasses, maxClass: maxClass,
            records: records, reversible: reversible, policyName: policyName, policyVersion: policyVersion,
            evaluatedAt: evaluatedAt, signals: signals)
    }

    /// Every field given: the policy engine's, which works out the routed tier and requirement.
    init(
        tier: Tier, routedTier: Tier, score: Int, reasons: [Reason], approvals: ApprovalRequirement?,
        requirement: ApprovalRequirement?, dataClasses: [String], maxClass: String?, records: Int, reversible: Bool,
        policyName: String, policyVersion: String, evaluatedAt: Timestamp, signals: Signals
    ) {
        self.tier = tier
        self.routedTier = routedTier
        self.score = score
        self.reasons = reasons
        self.approvals = approvals
        self.requirement = requirement
        self.dataClasses = dataClasses
        self.maxClass = maxClass
        self.records = records
        self.reversible = reversible
        self.policyName = policyName
        self.policyVersion = policyVersion
        self.evaluatedAt = evaluatedAt
        self.signals = signals
    }

    /// The tier routing acts on for a decided `tier`: a medium-tier change of an irreversible
    /// resource is treated as high.
    static func routedTier(_ tier: Tier, reversible: Bool) -> Tier {
        tier == .medium && !reversible ? .high : tier
    }

    /// The ids of the rules that matched, in pack order.
    public var matchedRules: [String] { reasons.filter { !$0.failed }.map(\.rule) }
}

/// Why a decision is what it is: a rule that matched, with its message and the values it read.
public struct Reason: Sendable {
    /// The rule's id.
    public var rule: String
    /// The rule's `reason`, with its `${…}` parts filled in.
    public var message: String
    /// The tier the rule names, if any.
    public var tier: Tier?
    /// The score the rule adds, if any.
    public var score: Int?
    /// The values the rule's condition read (`mutation.changes.amount` → `12000.0`), in the order
    /// they appear in the condition.
    public var values: [SeenValue]
    /// True when this entry records a rule that failed to evaluate (its error is the message); the
    /// pack's `defaults.on_error` tier then applies.
    public var failed: Bool

    public init(
        rule: String, message: String, tier: Tier? = nil, score: Int? = nil, values: [SeenValue] = [],
        failed: Bool = false
    ) {
        self.rule = rule
        self.message = message
        self.tier = tier
        self.score = score
        self.values = values
        self.failed = failed
    }
}

/// One value a rule read, by its path from a CEL variable.
public struct SeenValue: Sendable {
    /// The path as written in the rule (`mutation.changes.amount`, `signals.first_time`).
    public var path: String
    /// The value at that path; `nil` when the path is absent (a field not in the changes).
    public var value: Value?

    public init(path: String, value: Value?) {
        self.path = path
        self.value = value
    }
}

/// The people a decision needs: every group must complete.
public struct ApprovalRequirement: Sendable, Hashable {
    /// The groups, each `count` distinct reviewers from `pool` (never the requester).
    public var groups: [ApprovalGroup]
    /// How long the reviewers have, in seconds, before escalation.
    public var slaSeconds: Int?
    /// The pool asked when the SLA runs out.
    public var escalateTo: String?
    /// What happens when the SLA (and any escalation) runs out.
    public var onTimeout: OnTimeout

    /// How many distinct rejections reject the mutation.
    public var rejectAfter: Int

    public init(
        groups: [ApprovalGroup], slaSeconds: Int? = nil, escalateTo: String? = nil, onTimeout: OnTimeout = .reject,
        rejectAfter: Int = 1
    ) {
        self.groups = groups
        self.rejectAfter = rejectAfter
        self.slaSeconds = slaSeconds
        self.escalateTo = escalateTo
        self.onTimeout = onTimeout
    }
}

/// `count` distinct approvals from reviewers in `pool`.
public struct ApprovalGroup: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The reviewer pool's name (`finance`).
    public var pool: String
    /// How many distinct reviewers of the pool must approve.
    public var count: Int

    public init(pool: String, count: Int = 1) {
        self.pool = pool
        self.count = count
    }

    public var description: String { "\(pool)×\(count)" }
}

/// What happens to a mutation whose reviewers did not act within the SLA and escalation. No
/// timeout ever approves a mutation: a high-tier one ends unexecuted, a medium-tier one (already
/// executed) either stays, counted as unreviewed, or is rolled back.
public enum OnTimeout: String, Sendable, Hashable, CaseIterable, Codable {
    /// High (the default): the mutation is rejected, unexecuted; the review closes `expired`.
    /// On a medium (parallel) review, as decisions stored before ``rollback`` existed say it:
    /// the change is rolled back.
    case reject
    /// High: the mutation ends `expired`, unexecuted; the review closes `expired`.
    case expire
    /// Medium (the default): the review closes `unreviewed`; the executed change stays.
    case unreviewed
    /// Medium: the review closes `expired` and the executed change is rolled back.
    case rollback

    /// The actions a tier may name: `reject`/`expire` for high (blocking), `unreviewed`/`rollback`
    /// for medium (parallel).
    public static func allowed(for mode: ReviewMode) -> [OnTimeout] {
        mode == .blocking ? [.reject, .expire] : [.unreviewed, .rollback]
    }

    /// The default of a tier: `reject` for high, `unreviewed` for medium.
    public static func defaultAction(for mode: ReviewMode) -> OnTimeout {
        mode == .blocking ? .reject : .unreviewed
    }

    /// Reads a stored action; `approve`, which decisions recorded before timeouts stopped
    /// approving may carry, reads as `unreviewed` (a medium change stays; a high-tier mutation
    /// is never approved by a timeout, see ``Lifecycle``).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if text == "approve" {
            self = .unreviewed
        } else if let action = OnTimeout(rawValue: text) {
            self = action
        } else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "unknown on_timeout '\(text)'"))
        }
    }
}
