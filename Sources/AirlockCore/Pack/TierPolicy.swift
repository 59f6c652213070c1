/// The pack's `tiers`: from which score each tier starts, and who reviews or approves it.
public struct TierPolicy: Sendable, Hashable {
    /// Medium: execute, review in parallel.
    public var medium: TierSettings
    /// High: wait for approval.
    public var high: TierSettings
    /// The score from which a mutation is blocked, if any.
    public var blockFromScore: Int?

    public init(
        medium: TierSettings = TierSettings(onTimeout: .unreviewed), high: TierSettings = TierSettings(),
        blockFromScore: Int? = nil
    ) {
        self.medium = medium
        self.high = high
        self.blockFromScore = blockFromScore
    }

    /// The tier a total score reaches on its own.
    public func tier(forScore score: Int) -> Tier {
        if let from = blockFromScore, score >= from { return .block }
        if let from = high.fromScore, score >= from { return .high }
        if let from = medium.fromScore, score >= from { return .medium }
        return .low
    }

    /// The settings of a reviewed tier; `nil` for low and block.
    public func settings(for tier: Tier) -> TierSettings? {
        switch tier {
        case .medium: medium
        case .high: high
        case .low, .block: nil
        }
    }
}

/// How one reviewed tier (medium or high) is reached and handled.
public struct TierSettings: Sendable, Hashable {
    /// The score from which the tier applies; `nil` when only rules name it.
    public var fromScore: Int?
    /// The default reviewer pool, used when no matching rule at this tier names approvals.
    public var pool: String?
    /// How many reviewers of `pool`.
    public var count: Int
    /// How long reviewers have, in seconds.
    public var slaSeconds: Int?
    /// The pool asked when the SLA runs out.
    public var escalateTo: String?
    /// What happens after the SLA and escalation.
    public var onTimeout: OnTimeout

    public init(
        fromScore: Int? = nil, pool: String? = nil, count: Int = 1, slaSeconds: Int? = nil, escalateTo: String? = nil,
        onTimeout: OnTimeout = .reject
    ) {
        self.fromScore = fromScore
        self.pool = pool
        self.count = count
        self.slaSeconds = slaSeconds
        self.escalateTo = escalateTo
        self.onTimeout = onTimeout
    }
}

/// The pack's `defaults`.
public struct PackDefaults: Sendable, Hashable {
    /// The tier of a mutation that matches no rule.
    public var tier: Tier
    /// The least tier of a mutation when a rule fails to evaluate (an error other than reading an
    /// absent field).
    public var onError: Tier

    public init(tier: Tier = .low, onError: Tier = .high) {
        self.tier = tier
        self.onError = onError
    }
}
