/// A decision with the trace of every rule: whether it applied, its outcome, and the values it
/// read. What `airlock policy eval --explain` prints.
public struct Explanation: Sendable {
    /// The decision.
    public var decision: Decision
    /// One trace per rule of the pack, in pack order.
    public var rules: [RuleTrace]

    public init(decision: Decision, rules: [RuleTrace]) {
        self.decision = decision
        self.rules = rules
    }
}

/// How one rule fared in a decision.
public struct RuleTrace: Sendable {
    /// The outcome of a rule.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        /// The condition held.
        case matched
        /// The condition was false.
        case notMatched
        /// The condition read a field absent from the mutation (`mutation.changes.cost` on an
        /// update that does not change the cost); the rule does not match.
        case absent(String)
        /// The condition failed to evaluate (`defaults.on_error` applies).
        case failed(String)
        /// The rule is scoped to other resources.
        case outOfScope

        public var description: String {
            switch self {
            case .matched: "matched"
            case .notMatched: "not matched"
            case .absent(let message): "not matched (absent: \(message))"
            case .failed(let message): "failed: \(message)"
            case .outOfScope: "not applicable (other resources)"
            }
        }
    }

    /// The rule's id.
    public var rule: String
    /// What happened.
    public var outcome: Outcome
    /// The values the condition read (empty when out of scope).
    public var values: [SeenValue]

    public init(rule: String, outcome: Outcome, values: [SeenValue]) {
        self.rule = rule
        self.outcome = outcome
        self.values = values
    }
}
