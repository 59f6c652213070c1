import CEL

extension PolicyEngine {
    /// A mutation validated and classified under the engine's pack: the part of a decision that
    /// does not depend on history. A simulation makes it on its reading thread, ahead of the
    /// thread that decides (``PolicyEngine/triage(_:)``). A reference, so that the deciding
    /// thread passes it on with one retain, not one per field.
    public final class Triage: Sendable {
        /// The validated mutation (its values normalized to the schema's types).
        public let mutation: Mutation
        /// What it touches.
        public let classification: Classification
        let resource: CompiledResource
        /// The version of the pack that made it: only an engine of that pack decides it.
        let packVersion: String

        init(mutation: Mutation, classification: Classification, resource: CompiledResource, packVersion: String) {
            self.mutation = mutation
            self.classification = classification
            self.resource = resource
            self.packVersion = packVersion
        }
    }

    /// What a decision routes to, without the reasons' messages and the values each rule read:
    /// everything a simulation reads of a decision, at less of its cost. It agrees with
    /// ``decide(_:actor:signals:system:now:)`` on every field both have.
    public struct Verdict: Sendable {
        /// The tier the rules and the score decided.
        public let tier: Tier
        /// The tier the mutation is routed at (``Decision/routedTier``).
        public let routedTier: Tier
        /// The sum of the matching rules' scores.
        public let score: Int
        /// The approvals routing needs (``Decision/requirement``).
        public let requirement: ApprovalRequirement?
        let matched: [CompiledRule]

        /// The rules that matched, in evaluation order (not those that failed to evaluate).
        public var matchedRules: [String] { matched.map(\.id) }
        /// The matched rules that name a tier (`tier:`), in evaluation order.
        public var namingRules: [String] { matched.filter { $0.tier != nil }.map(\.id) }
    }

    /// Validates and classifies a mutation.
    ///
    /// - Throws: ``ValidationFailure`` when the mutation does not conform to its resource.
    public func triage(_ mutation: Mutation) throws(ValidationFailure) -> Triage {
        let (valid, resource) = try validated(mutation)
        return Triage(
            mutation: valid, classification: Classifier.classify(valid, resource: resource, classes: pack.classes),
            resource: resource, packVersion: pack.version)
    }

    /// The full decision of a triaged mutation with the signals given.
    ///
    /// - Precondition: an engine of the same pack made the triage (its rules and this engine's
    ///   tiers would otherwise be mixed).
    public func decide(_ triage: Triage, actor: Actor, signals: Signals, system: SystemState, now: Timestamp) -> Decision {
        precondition(triage.packVersion == pack.version, "a triage made under another pack version")
        var none: [RuleTrace]?
        return evaluate(
            triage.mutation, resource: triage.resource, classification: triage.classification, actor: actor,
            signals: signals, system: system, now: now, traces: &none)
    }

    /// The verdict of a mutation with the signals given (a replay): as
    /// ``decide(mutation:actor:signals:system:now:)`` without rendering reasons or keeping the
    /// values rules read.
    ///
    /// - Throws: ``ValidationFailure`` when the mutation does not conform to its resource.
    public func verdict(
        mutation: Mutation, actor: Actor, signals: Signals, system: SystemState, now: Timestamp
    ) throws(ValidationFailure) -> Verdict {
        let triage = try triage(mutation)
        return verdict(
            triage, actor: actor, signals: signals.completingFirstSeen(triage.resource.trackedFields), system: system,
            now: now)
    }

    /// The verdict of a triaged mutation with the signals given: as ``decide(_:actor:signals:system:now:)``
    /// without rendering reasons or keeping the values rules read.
    ///
    /// - Precondition: an engine of the same pack made the triage.
    public func verdict(_ triage: Triage, actor: Actor, signals: Signals, system: SystemState, now: Timestamp) -> Verdict {
        precondition(triage.packVersion == pack.version, "a triage made under another pack version")
        let resource = triage.resource
        let activation = makeActivation(
            triage.mutation, actor: actor, classification: triage.classification, signals: signals, system: system,
            now: now, resource: resource, everything: false)
        var tally = RuleTally()
        resource.forEachRule { rule in
            switch outcome(of: rule, in: activation) {
            case .matched: tally.matched(rule)
            case .failed: tally.failed(onError: pack.defaults.onError)
            case .notMatched, .absent, .outOfScope: break
            }
        }
        let tier = tally.tier(in: pack)
        let approvals = approvals(for: tier, matched: tally.rules)
        let routed = Decision.routedTier(tier, reversible: triage.classification.reversible)
        return Verdict(
            tier: tier, routedTier: routed, score: tally.score,
            requirement: requirement(at: routed, decided: tier, approvals: approvals), matched: tally.rules)
    }
}

/// How the rules of one decision add up: the strictest tier a rule asked for, the sum of their
/// scores (an overflowing score is left as it was), the rules that matched.
struct RuleTally {
    private var ruleTier: Tier?
    private var anyMatched = false
    private(set) var score = 0
    private(set) var rules: [CompiledRule] = []

    /// A rule whose condition held.
    mutating func matched(_ rule: CompiledRule) {
        anyMatched = true
        rules.append(rule)
        if let tier = rule.tier { ruleTier = max(ruleTier ?? tier, tier) }
        if let s = rule.score {
            let (sum, overflow) = score.addingReportingOverflow(s)
            if !overflow { score = sum }
        }
    }

    /// A rule whose condition failed to evaluate: it asks for the pack's `on_error` tier.
    mutating func failed(onError: Tier) {
        anyMatched = true
        ruleTier = max(ruleTier ?? onError, onError)
    }

    /// The tier: the score's tier, raised to the strictest rule's; the pack's default tier at
    /// least when no rule matched.
    func tier(in pack: PolicyPack) -> Tier {
        var tier = pack.tiers.tier(forScore: score)
        if let ruleTier { tier = max(tier, ruleTier) }
        if !anyMatched { tier = max(tier, pack.defaults.tier) }
        return tier
    }
}
