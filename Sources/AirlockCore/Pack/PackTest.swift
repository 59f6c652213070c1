import CEL

/// One of a pack's inline tests: a mutation, who proposes it and in what context, and the decision
/// expected.
public struct PackTest: Sendable {
    /// What the test shows.
    public var name: String
    /// The proposing actor.
    public var actor: Actor
    /// The mutation as written (a map), parsed when the test runs so that a test may expect it to
    /// be invalid.
    public var mutation: Value
    /// Signals given by the test; the rest are neutral (see ``Signals/neutral``), except
    /// `off_hours`, computed from ``now`` when the test gives a time and not `off_hours`.
    public var signals: Signals
    /// Whether the test sets `signals.off_hours` itself.
    public var setsOffHours: Bool
    /// The system state.
    public var system: SystemState
    /// The decision time (default 2025-01-06T12:00:00Z, a Monday).
    public var now: Timestamp
    /// What the decision must be.
    public var expect: Expectation
    /// Where the test is declared.
    public var location: PackLocation

    /// The decision time of tests that give none: Monday 2025-01-06, 12:00 UTC.
    public static let defaultNow = Timestamp(seconds: 1_736_164_800)

    /// What a test expects; each part is checked only when given.
    public struct Expectation: Sendable {
        /// The tier.
        public var tier: Tier?
        /// The score.
        public var score: Int?
        /// Exactly the rules that match (order ignored).
        public var rules: [String]?
        /// Exactly these approval groups (order ignored).
        public var approvals: [ApprovalGroup]?
        /// The most sensitive data class touched.
        public var maxClass: String?
        /// `false`: the mutation must be rejected by validation.
        public var valid: Bool
        /// With `valid: false`, text each validation issue list must contain (substring match
        /// against `path: message`).
        public var issues: [String]

        public init(
            tier: Tier? = nil, score: Int? = nil, rules: [String]? = nil, approvals: [ApprovalGroup]? = nil,
            maxClass: String? = nil, valid: Bool = true, issues: [String] = []
        ) {
            self.tier = tier
            self.score = score
            self.rules = rules
            self.approvals = approvals
            self.maxClass = maxClass
            self.valid = valid
            self.issues = issues
        }
    }
}
