import CEL

/// Decides how much oversight a mutation needs under a policy pack: validation, classification,
/// signals, then every applicable rule, merged into a tier, a score, approvals and reasons.
///
/// Pure and synchronous: time comes in as `now`, history as a ``SignalState`` the caller keeps.
///
/// ```swift
/// let engine = PolicyEngine(pack: pack)
/// let decision = try engine.decide(mutation: m, actor: a, signals: state, system: SystemState(), now: now)
/// ```
public struct PolicyEngine: Sendable {
    /// The pack decisions are made under.
    public let pack: PolicyPack

    public init(pack: PolicyPack) {
        self.pack = pack
    }

    /// Validates a mutation against its resource's schema; returns it with normalized values.
    public func validate(_ mutation: Mutation) throws(ValidationFailure) -> Mutation {
        try validated(mutation).0
    }

    /// Classifies a validated mutation.
    public func classify(_ mutation: Mutation) -> Classification {
        Classifier.classify(mutation, in: pack)
    }

    /// The full decision, with signals derived from `signals` (the history; not changed: record
    /// the mutation in it separately once it counts).
    public func decide(
        mutation: Mutation, actor: Actor, signals state: SignalState, system: SystemState, now: Timestamp
    ) throws(ValidationFailure) -> Decision {
        let resource = try compiledResource(of: mutation)
        let normalization = try Validator.normalization(of: mutation, resource: resource)
        // The mutation given when no value needed normalizing: no copy of it on the decision path.
        if normalization.isNone {
            let signals = state.signals(for: mutation, actor: actor, resource: resource, hours: pack.businessHours, now: now)
            return evaluate(mutation, resource: resource, actor: actor, signals: signals, system: system, now: now)
        }
        let valid = normalization.applied(to: mutation)
        let signals = state.signals(for: valid, actor: actor, resource: resource, hours: pack.businessHours, now: now)
        return evaluate(valid, resource: resource, actor: actor, signals: signals, system: system, now: now)
    }

    /// The full decision with the signals given (a pack test, a replay, `policy eval --signals`).
    public func decide(
        mutation: Mutation, actor: Actor, signals: Signals, system: SystemState, now: Timestamp
    ) throws(ValidationFailure) -> Decision {
        let resource = try compiledResource(of: mutation)
        let normalization = try Validator.normalization(of: mutation, resource: resource)
        let signals = signals.completingFirstSeen(resource.trackedFields)
        if normalization.isNone {
            return evaluate(mutation, resource: resource, actor: actor, signals: signals, system: system, now: now)
        }
        return evaluate(
            normalization.applied(to: mutation), resource: resource, actor: actor, signals: signals, system: system, now: now)
    }

    /// The full decision with signals the caller derives from the validated mutation (its
    /// values normalized to the schema's types), validating only once: for a gateway that keeps
    /// its own history. Returns the validated mutation with the decision.
    public func decide(
        mutation: Mutation, actor: Actor, system: SystemState, now: Timestamp, signals: (Mutation) -> Signals
    ) throws(ValidationFailure) -> (mutation: Mutation, decision: Decision) {
        let (valid, resource) = try validated(mutation)
        let derived = signals(valid)
        let decision = evaluate(valid, resource: resource, actor: actor, signals: derived, system: system, now: now)
        return (valid, decision)
    }

    /// The decision and how every rule fared, with signals derived from `signals`.
    public func explain(
        mutation: Mutation, actor: Actor, signals state: SignalState, system: SystemState, now: Timestamp
    ) throws(ValidationFailure) -> Explanation {
        let (valid, resource) = try validated(mutation)
        let signals = state.signals(for: valid, actor: actor, resource: resource, hours: pack.businessHours, now: now)
        var traces: [RuleTrace]? = []
        let decision = evaluate(
            valid, resource: resource, actor: actor, signals: signals, system: system, now: now, traces: &traces)
        return Explanation(decision: decision, rules: traces ?? [])
    }

    /// The decision and how every rule fared, with the signals given.
    public func explain(
        mutation: Mutation, actor: Actor, signals: Signals, system: SystemState, now: Timestamp
    ) throws(ValidationFailure) -> Explanation {
        let (valid, resource) = try validated(mutation)
        var traces: [RuleTrace]? = []
        let decision = evaluate(
            valid, resource: resource, actor: actor, signals: signals.completingFirstSeen(resource.trackedFields),
            system: system, now: now, traces: &traces)
        return Explanation(decision: decision, rules: traces ?? [])
    }

    // MARK: Evaluation

    func validated(_ mutation: Mutation) throws(ValidationFailure) -> (Mutation, CompiledResource) {
        let resource = try compiledResource(of: mutation)
        return (try Validator.validate(mutation, resource: resource), resource)
    }

    private func compiledResource(of mutation: Mutation) throws(ValidationFailure) -> CompiledResource {
        guard let resource = pack.compiled[mutation.resource] else {
            _ = try Validator.validate(mutation, in: pack)  // reports the unknown resource
            preconditionFailure("unreachable")
        }
        return resource
    }

    private func evaluate(
        _ mutation: Mutation, resource: CompiledResource, actor: Actor, signals: Signals, system: SystemState,
        now: Timestamp
    ) -> Decision {
        var none: [RuleTrace]?
        return evaluate(mutation, resource: resource, actor: actor, signals: signals, system: system, now: now, traces: &none)
    }

    /// The decision; with `traces` non-nil, also how every rule of the pack fared, in pack order.
    private func evaluate(
        _ mutation: Mutation, resource: CompiledResource, actor: Actor, signals: Signals, system: SystemState,
        now: Timestamp, traces: inout [RuleTrace]?
    ) -> Decision {
        let classification = Classifier.classify(mutation, resource: resource, classes: pack.classes)
        return evaluate(
            mutation, resource: resource, classification: classification, actor: actor, signals: signals,
            system: system, now: now, traces: &traces)
    }

    /// The decision of a mutation already classified.
    func evaluate(
        _ mutation: Mutation, resource: CompiledResource, classification: Classification, actor: Actor,
        signals: Signals, system: SystemState, now: Timestamp, traces: inout [RuleTrace]?
    ) -> Decision {
        let trace = traces != nil
        // Explanations show every value a condition reads, so they build everything.
        let activation = makeActivation(
            mutation, actor: actor, classification: classification, signals: signals, system: system, now: now,
            resource: resource, everything: trace)

        var tally = RuleTally()
        var reasons: [Reason] = []
        var outcomes: [RuleTrace.Outcome] = []
        if trace { outcomes.reserveCapacity(resource.rules.count) }
        resource.forEachRule { rule in
            let outcome = outcome(of: rule, in: activation)
            if trace { outcomes.append(outcome) }
            switch outcome {
            case .matched:
                tally.matched(rule)
                reasons.append(
                    Reason(
                        rule: rule.id, message: render(rule.reasonTemplate, in: activation), tier: rule.tier,
                        score: rule.score, values: seen(rule, in: activation)))
            case .failed(let message):
                tally.failed(onError: pack.defaults.onError)
                reasons.append(
                    Reason(
                        rule: rule.id, message: "rule failed to evaluate: \(message)", tier: pack.defaults.onError,
                        values: seen(rule, in: activation), failed: true))
            case .notMatched, .absent, .outOfScope:
                break
            }
        }
        let tier = tally.tier(in: pack)
        let score = tally.score

        if trace { traces = allTraces(resource: resource, outcomes: outcomes, activation: activation) }
        let approvals = approvals(for: tier, matched: tally.rules)
        let routed = Decision.routedTier(tier, reversible: classification.reversible)
        // Built once, in place: a decision is large, and a copy of it shows in `bench policy`.
        return Decision(
            tier: tier, routedTier: routed, score: score, reasons: reasons, approvals: approvals,
            requirement: requirement(at: routed, decided: tier, approvals: approvals),
            dataClasses: classification.classes, maxClass: classification.maxClass, records: classification.records,
            reversible: classification.reversible, policyName: pack.name, policyVersion: pack.version, evaluatedAt: now,
            signals: signals)
    }

    /// How every rule of the pack fared, in pack order: those of the resource as evaluated, the
    /// others out of scope.
    @inline(never)
    private func allTraces(resource: CompiledResource, outcomes: [RuleTrace.Outcome], activation: Activation) -> [RuleTrace] {
        var all: [RuleTrace] = []
        var next = 0
        all.reserveCapacity(pack.rules.count)
        for (index, rule) in pack.rules.enumerated() {
            if next < resource.rules.count, resource.rules[next].index == index {
                all.append(RuleTrace(rule: rule.id, outcome: outcomes[next], values: seen(resource.rules[next], in: activation)))
                next += 1
            } else {
                all.append(RuleTrace(rule: rule.id, outcome: .outOfScope, values: []))
            }
        }
        return all
    }

    private func seen(_ rule: CompiledRule, in activation: Activation) -> [SeenValue] {
        rule.reads.map { SeenValue(path: $0.text, value: $0.resolve(in: activation)) }
    }

    func outcome(of rule: CompiledRule, in activation: Activation) -> RuleTrace.Outcome {
        do {
            let result = try rule.program.evaluate(activation)
            switch result {
            case .bool(true): return .matched
            case .bool(false): return .notMatched
            default: return .failed("the condition gave \(result.typeValue.name), not bool")
            }
        } catch {
            if error.kind == .noSuchKey || error.kind == .noSuchField || error.kind == .noSuchAttribute {
                return .absent(error.message)
            }
            return .failed(error.message)
        }
    }

    /// The approvals routing needs at `routed`: those of the decided tier, or — for a medium-tier
    /// decision routed as high because the resource is irreversible — those merged with the high
    /// tier's pool and its SLA settings. Never empty for medium and high: the tier's own pool, or
    /// `reviewers`, fills in.
    func requirement(at routed: Tier, decided tier: Tier, approvals decided: ApprovalRequirement?) -> ApprovalRequirement? {
        guard let settings = pack.tiers.settings(for: routed) else { return nil }
        if routed != tier, let pool = settings.pool {
            var groups = decided?.groups ?? []
            if let i = groups.firstIndex(where: { $0.pool == pool }) {
                groups[i].count = max(groups[i].count, settings.count)
            } else {
                groups.append(ApprovalGroup(pool: pool, count: settings.count))
            }
            return ApprovalRequirement(
                groups: groups, slaSeconds: settings.slaSeconds, escalateTo: settings.escalateTo,
                onTimeout: settings.onTimeout, rejectAfter: decided?.rejectAfter ?? 1)
        }
        if let decided, !decided.groups.isEmpty { return decided }
        return ApprovalRequirement(
            groups: [ApprovalGroup(pool: settings.pool ?? "reviewers", count: max(1, settings.count))],
            slaSeconds: settings.slaSeconds, escalateTo: settings.escalateTo, onTimeout: settings.onTimeout)
    }

    /// The approvals of a decision at `tier`: the approvals of every matching rule, the strictest
    /// count per pool and the largest `reject_after`; plus the tier's own pool when no matching
    /// rule of that tier names approvals. The SLA is the shortest of the matching rules of that
    /// tier that name one, else the tier's.
    func approvals(for tier: Tier, matched: [CompiledRule]) -> ApprovalRequirement? {
        guard let settings = pack.tiers.settings(for: tier) else { return nil }
        var groups: [ApprovalGroup] = []
        func add(_ group: ApprovalGroup) {
            if let i = groups.firstIndex(where: { $0.pool == group.pool }) {
                groups[i].count = max(groups[i].count, group.count)
            } else {
                groups.append(group)
            }
        }
        var tierHasApprovals = false
        var rejectAfter = 1
        var ruleSLA: Int?
        for rule in matched {
            for group in rule.approvals { add(group) }
            if rule.tier == tier, !rule.approvals.isEmpty { tierHasApprovals = true }
            if let n = rule.rejectAfter { rejectAfter = max(rejectAfter, n) }
            if let sla = rule.slaSeconds, rule.tier == tier { ruleSLA = min(ruleSLA ?? sla, sla) }
        }
        if !tierHasApprovals, let pool = settings.pool { add(ApprovalGroup(pool: pool, count: settings.count)) }
        return ApprovalRequirement(
            groups: groups, slaSeconds: ruleSLA ?? settings.slaSeconds, escalateTo: settings.escalateTo,
            onTimeout: settings.onTimeout, rejectAfter: rejectAfter)
    }

    private func render(_ template: ReasonTemplate, in activation: Activation) -> String {
        if let literal = template.literal { return literal }
        // The pieces first (on the stack), then one string of their total length: appending piece
        // by piece costs more than the copying.
        return template.parts.withUnsafeBufferPointer { parts in
            withUnsafeTemporaryAllocation(of: String.self, capacity: parts.count) { pieces in
                var length = 0
                for i in 0..<parts.count {
                    let piece: String
                    switch parts[i] {
                    case .text(let text):
                        piece = text
                    case .expression(let text, let program):
                        do throws(EvalError) {
                            piece = ReasonText.format(try program.evaluate(activation))
                        } catch {
                            piece = "<\(text): \(error.message)>"
                        }
                    }
                    length += piece.utf8.count
                    (pieces.baseAddress! + i).initialize(to: piece)
                }
                defer { pieces.baseAddress!.deinitialize(count: parts.count) }
                return String(unsafeUninitializedCapacity: length) { buffer in
                    var at = 0
                    for i in 0..<parts.count {
                        let copied: Void? = pieces[i].utf8.withContiguousStorageIfAvailable { bytes in
                            _ = UnsafeMutableBufferPointer(rebasing: buffer[at...]).initialize(fromContentsOf: bytes)
                            at += bytes.count
                        }
                        if copied == nil {
                            for byte in pieces[i].utf8 {
                                buffer[at] = byte
                                at += 1
                            }
                        }
                    }
                    return at
                }
            }
        }
    }
}
