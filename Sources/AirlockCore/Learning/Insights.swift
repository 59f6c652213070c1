/// What reviewers and rollbacks say about each rule: how often the reviews a rule opened were
/// approved, rejected or rolled back and how long people took, and which low-tier paths later
/// needed a rollback. `airlock policy insights` prints it; a person decides what to change.
public struct Insights: Sendable {
    /// The thresholds behind the suggestions.
    public struct Settings: Sendable, Hashable {
        /// A rule is a candidate to relax when at least this many of its reviews were decided by
        /// a person …
        public var minimumReviews = 20
        /// … at least this share of them approved, and none of them rolled back.
        public var relaxAt = 0.95
        /// A low-tier path is a candidate to tighten when at least this share of its decisions
        /// was rolled back (and at least one was).
        public var tightenAt = 0.01

        public init() {}
    }

    /// One rule, or one path with no rule (a resource's default tier).
    public struct Row: Sendable, Hashable {
        /// The rule's id, or `(default) RESOURCE` for decisions no rule matched.
        public var path: String
        /// Decisions it matched.
        public var decisions = 0
        /// Reviews opened on its word (it named the tier the decision took, medium or high).
        public var reviews = 0
        /// Of those, decided by a person: approved, rejected.
        public var approved = 0
        public var rejected = 0
        /// Of those, rolled back after they ran.
        public var reviewedRolledBack = 0
        /// Seconds from each review's opening to a person's decision.
        public var reviewSeconds: [Double] = []
        /// Low-tier decisions on this path, and how many of them were later rolled back.
        public var lowDecisions = 0
        public var lowRolledBack = 0

        public init(path: String) { self.path = path }

        /// Approvals among the reviews a person decided.
        public var approvalRate: Double? {
            approved + rejected == 0 ? nil : Double(approved) / Double(approved + rejected)
        }
        public var medianReviewSeconds: Double? { Percentile.nearestRank(reviewSeconds, 0.5) }
        /// Rollbacks among its low-tier decisions.
        public var lowRollbackRate: Double? { lowDecisions == 0 ? nil : Double(lowRolledBack) / Double(lowDecisions) }
    }

    /// What the evidence suggests for a row; never applied by Airlock.
    public enum Suggestion: String, Sendable, Hashable {
        /// Its reviews are approved nearly always: the people it asks add little.
        case relax
        /// Its low-tier decisions later needed rollbacks: they ran without anyone looking.
        case tighten
    }

    public var settings: Settings
    /// Decisions counted.
    public var decisions = 0
    /// One row per rule or default path, most reviews first.
    public var rows: [Row] = []

    /// What the evidence suggests for `row`, if anything.
    public func suggestions(for row: Row) -> [Suggestion] {
        var out: [Suggestion] = []
        if row.approved + row.rejected >= settings.minimumReviews, let rate = row.approvalRate, rate >= settings.relaxAt,
            row.reviewedRolledBack == 0
        {
            out.append(.relax)
        }
        if row.lowRolledBack > 0, let rate = row.lowRollbackRate, rate >= settings.tightenAt { out.append(.tighten) }
        return out
    }

    /// Counts `cases` (the decisions of a window with what became of them).
    public init(_ cases: [RecordedCase], settings: Settings = Settings()) {
        self.settings = settings
        var rows: [String: Row] = [:]
        func update(_ path: String, _ change: (inout Row) -> Void) {
            change(&rows[path, default: Row(path: path)])
        }
        for recorded in cases {
            decisions += 1
            for rule in recorded.rules { update(rule) { $0.decisions += 1 } }
            if recorded.rules.isEmpty { update("(default) \(recorded.mutation.resource)") { $0.decisions += 1 } }
            let outcome = recorded.outcome
            if outcome.reviewOpenedAt != nil {
                for rule in recorded.decidingRules {
                    update(rule) { row in
                        row.reviews += 1
                        if outcome.approvedByPerson { row.approved += 1 }
                        if outcome.rejectedByPerson { row.rejected += 1 }
                        if outcome.rolledBack { row.reviewedRolledBack += 1 }
                        if let seconds = outcome.reviewSeconds { row.reviewSeconds.append(seconds) }
                    }
                }
            }
            if recorded.tier == .low {
                let paths = recorded.rules.isEmpty ? ["(default) \(recorded.mutation.resource)"] : recorded.rules
                for path in paths {
                    update(path) { row in
                        row.lowDecisions += 1
                        if outcome.rolledBack { row.lowRolledBack += 1 }
                    }
                }
            }
        }
        self.rows = rows.values.sorted { ($0.reviews, $0.lowRolledBack, $0.decisions, $1.path) > ($1.reviews, $1.lowRolledBack, $1.decisions, $0.path) }
    }
}
