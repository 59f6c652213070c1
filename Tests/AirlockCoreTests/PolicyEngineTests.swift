import AirlockCore
import CEL
import Testing

@Suite struct PolicyEngineTests {
    static let rules = """
          - id: big
            resource: pay
            when: mutation.changes.amount >= 100.0
            tier: medium
            approvals: { pool: finance }
            reason: "Big ${mutation.changes.amount} to ${mutation.changes.to}"
          - id: huge
            resource: pay
            when: mutation.changes.amount >= 1000.0
            tier: high
            approvals: { pool: finance, count: 3 }
          - id: blocked
            resource: pay
            when: mutation.changes.to in lists.blocked
            tier: block
            reason: "${mutation.changes.to} is blocked"
          - id: night
            when: signals.off_hours
            score: 35
          - id: anomaly
            when: signals.amount_zscore > 3.0
            score: 40
            reason: "z = ${signals.amount_zscore}"
          - id: burst
            when: signals.actor_rate_1m > 10
            score: 30
          - id: trusted
            when: actor.kind == "human"
            score: -20
          - id: pii
            resource: person
            when: data.max_rank >= classes.pii
            tier: medium
            approvals: { pool: privacy }
          - id: divide
            resource: person
            when: has(mutation.changes.level) && 10 / mutation.changes.level > 1
            score: 1
          - id: note
            resource: pay
            when: mutation.changes.note == "x"
            score: 5
        """

    let engine: PolicyEngine
    init() throws { engine = PolicyEngine(pack: try Fixtures.pack(rules: Self.rules)) }

    private func decide(
        _ mutation: Mutation, actor: Actor = Fixtures.agent, signals: Signals = .neutral, system: SystemState = SystemState()
    ) throws -> Decision {
        try engine.decide(mutation: mutation, actor: actor, signals: signals, system: system, now: Fixtures.monday)
    }

    @Test func tierOrder() {
        #expect(Tier.low < .medium && Tier.medium < .high && Tier.high < .block)
        #expect([Tier.high, .block, .low].max() == .block)
    }

    @Test func noRuleIsLow() throws {
        let d = try decide(Fixtures.transfer(5))
        #expect(d.tier == .low)
        #expect(d.score == 0)
        #expect(d.reasons.isEmpty)
        #expect(d.approvals == nil)
        #expect(d.policyVersion == engine.pack.version)
        #expect(d.policyName == "test-pack")
        #expect(d.evaluatedAt == Fixtures.monday)
        #expect(d.dataClasses == ["internal", "financial"])
    }

    @Test func thePackMaySetAnotherDefault() throws {
        let pack = try Fixtures.pack(rules: Self.rules, extra: "defaults: { tier: medium }\n")
        let d = try PolicyEngine(pack: pack).decide(
            mutation: Fixtures.transfer(5), actor: Fixtures.agent, signals: Signals.neutral, system: SystemState(), now: Fixtures.monday)
        #expect(d.tier == .medium)
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "reviewers", count: 1)])
        // A matching rule, even one that only scores, replaces the default.
        let night = try PolicyEngine(pack: pack).decide(
            mutation: Fixtures.transfer(5), actor: Fixtures.human, signals: Signals.neutral, system: SystemState(), now: Fixtures.monday)
        #expect(night.tier == .low)
        #expect(night.score == -20)
    }

    @Test func oneValidationWithSignalsFromTheValidatedMutation() throws {
        // An integer amount is normalized to a double; the signals closure sees it normalized.
        let mutation = Mutation(
            resource: "pay", operation: .create, changes: ["amount": .int(150), "to": .string("acc-9")])
        var seen: [Mutation] = []
        let (valid, decision) = try engine.decide(
            mutation: mutation, actor: Fixtures.agent, system: SystemState(), now: Fixtures.monday
        ) { valid in
            seen.append(valid)
            return Signals(amountZScore: 3.5)
        }
        #expect(seen.count == 1)
        #expect(seen.first.map { CanonicalJSON.encode(.map($0.changes)) } == CanonicalJSON.encode(.map(valid.changes)))
        #expect(valid.changes["amount"].map(CanonicalJSON.encode) == "150.0")
        #expect(decision.matchedRules == ["big", "anomaly"])
        #expect(decision.signals.amountZScore == 3.5)
        let twoStep = try decide(mutation, signals: Signals(amountZScore: 3.5))
        #expect(decision.tier == twoStep.tier && decision.score == twoStep.score)
        #expect(decision.reasons.map(\.message) == twoStep.reasons.map(\.message))

        // An invalid mutation throws before the signals are asked for.
        let invalid = Mutation(resource: "pay", operation: .create, changes: ["amount": .string("x")])
        #expect(throws: ValidationFailure.self) {
            _ = try engine.decide(mutation: invalid, actor: Fixtures.agent, system: SystemState(), now: Fixtures.monday) {
                _ in
                Issue.record("signals asked for an invalid mutation")
                return .neutral
            }
        }
    }

    @Test func ruleTierAndItsApprovals() throws {
        let d = try decide(Fixtures.transfer(150))
        #expect(d.tier == .medium)
        #expect(d.matchedRules == ["big"])
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "finance", count: 1)])
        #expect(d.approvals?.slaSeconds == 4 * 3600)
        #expect(d.approvals?.onTimeout == .unreviewed)
        let reason = try #require(d.reasons.first)
        #expect(reason.message == "Big 150 to acc-9")
        #expect(reason.tier == .medium)
        #expect(reason.values.map(\.path) == ["mutation.changes.amount"])
        #expect(reason.values.first?.value.map(CanonicalJSON.encode) == "150.0")
    }

    @Test func strictestCountPerPool() throws {
        let d = try decide(Fixtures.transfer(5000))
        #expect(d.tier == .high)
        #expect(d.matchedRules == ["big", "huge"])
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "finance", count: 3)])
        #expect(d.approvals?.escalateTo == "leads")
        #expect(d.approvals?.onTimeout == .reject)
    }

    @Test func blockWinsOverEverything() throws {
        let d = try decide(Fixtures.transfer(5000, to: "acc-1"), actor: Fixtures.human)
        #expect(d.tier == .block)
        #expect(d.approvals == nil)
        #expect(d.matchedRules == ["big", "huge", "blocked", "trusted"])
        #expect(d.reasons.map(\.message).contains("acc-1 is blocked"))
    }

    @Test func scoreThresholds() throws {
        var signals = Signals.neutral
        signals.offHours = true
        #expect(try decide(Fixtures.transfer(5), signals: signals).tier == .medium)
        #expect(try decide(Fixtures.transfer(5), signals: signals).approvals?.groups == [ApprovalGroup(pool: "reviewers", count: 1)])
        signals.amountZScore = 3.5
        let high = try decide(Fixtures.transfer(5), signals: signals)
        #expect(high.tier == .high)
        #expect(high.score == 75)
        #expect(high.approvals?.groups == [ApprovalGroup(pool: "approvers", count: 2)])
        #expect(high.reasons.map(\.message).contains("z = 3.5"))
        signals.actorRate1m = 11
        let blocked = try decide(Fixtures.transfer(5), signals: signals)
        #expect(blocked.tier == .block)
        #expect(blocked.score == 105)
        // A negative score lowers the total.
        #expect(try decide(Fixtures.transfer(5), actor: Fixtures.human, signals: signals).tier == .high)
    }

    @Test func theTierPoolJoinsWhenNoRuleOfThatTierNamesApprovals() throws {
        var signals = Signals.neutral
        signals.offHours = true
        signals.amountZScore = 4
        let d = try decide(Fixtures.transfer(150), signals: signals)
        #expect(d.tier == .high)
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "finance", count: 1), ApprovalGroup(pool: "approvers", count: 2)])
    }

    @Test func approvalsOfEveryMatchingRuleCombine() throws {
        let m = Mutation(resource: "person", operation: .update, target: "p", changes: ["name": .string("Zoë")])
        let d = try decide(m)
        #expect(d.tier == .medium)
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "privacy", count: 1)])
        #expect(d.maxClass == "pii")
        #expect(d.reversible)
    }

    @Test func readingAnAbsentFieldDoesNotMatch() throws {
        let explanation = try engine.explain(
            mutation: Fixtures.transfer(5), actor: Fixtures.agent, signals: Signals.neutral, system: SystemState(), now: Fixtures.monday)
        let note = try #require(explanation.rules.first { $0.rule == "note" })
        guard case .absent = note.outcome else {
            Issue.record("expected absent, got \(note.outcome)")
            return
        }
        #expect(explanation.decision.tier == .low)
    }

    @Test func aFailingRuleRaisesToTheErrorTier() throws {
        let m = Mutation(resource: "person", operation: .update, target: "p", changes: ["level": .int(0)])
        let d = try decide(m)
        #expect(d.tier == .high)
        let reason = try #require(d.reasons.first)
        #expect(reason.failed)
        #expect(reason.rule == "divide")
        #expect(reason.message.hasPrefix("rule failed to evaluate:"))
        #expect(d.matchedRules.isEmpty)
        #expect(try decide(Mutation(resource: "person", operation: .update, target: "p", changes: ["level": .int(5)])).matchedRules == ["divide"])
    }

    /// A rule's evaluation is bounded by CEL's cost budget (1,000,000 units), not by the server's
    /// configuration: a rule past it fails like any failing rule, so the pack's `on_error` tier
    /// holds, and a mutation cannot buy itself a low tier by making a rule too costly to finish.
    @Test func aRuleOverTheCostBudgetFailsToTheErrorTier() throws {
        let pack = try Fixtures.pack(
            rules: """
                  - id: pairs
                    resource: person
                    when: mutation.targets.exists(a, mutation.targets.exists(b, a + b == "never"))
                    score: 1
                """)
        let engine = PolicyEngine(pack: pack)
        let decide = { (count: Int) in
            try engine.decide(
                mutation: Mutation(
                    resource: "person", operation: .update, targets: (0..<count).map { "p\($0)" }, changes: ["level": .int(1)]),
                actor: Fixtures.agent, signals: .neutral, system: SystemState(), now: Fixtures.monday)
        }
        let small = try decide(10)
        #expect(small.reasons.allSatisfy { !$0.failed }, "\(small.reasons)")
        let costly = try decide(1_000)
        let reason = try #require(costly.reasons.first { $0.rule == "pairs" })
        #expect(reason.failed)
        #expect(reason.message.contains("cost"), "\(reason.message)")
        #expect(costly.tier == pack.defaults.onError)
    }

    @Test func explainTracesEveryRule() throws {
        let e = try engine.explain(
            mutation: Fixtures.transfer(150), actor: Fixtures.agent, signals: Signals.neutral, system: SystemState(), now: Fixtures.monday)
        #expect(e.rules.map(\.rule) == engine.pack.rules.map(\.id))
        #expect(e.rules.first { $0.rule == "big" }?.outcome == .matched)
        #expect(e.rules.first { $0.rule == "huge" }?.outcome == .notMatched)
        #expect(e.rules.first { $0.rule == "pii" }?.outcome == .outOfScope)
        let anomaly = try #require(e.rules.first { $0.rule == "anomaly" })
        #expect(anomaly.values.map(\.path) == ["signals.amount_zscore"])
        #expect(e.decision.tier == .medium)
    }

    @Test func invalidMutationsNeverReachTheRules() {
        #expect(throws: ValidationFailure.self) {
            try decide(Mutation(resource: "pay", operation: .create, changes: ["amount": .string("lots")]))
        }
    }

    @Test func signalsFromHistory() throws {
        var state = SignalState()
        for i in 0..<25 {
            let time = Timestamp(seconds: Fixtures.monday.seconds - 600 + Int64(i))
            state.countSubmission(actorID: Fixtures.agent.id, at: time)
            state.record(Fixtures.transfer(10 + Double(i % 3)), actor: Fixtures.agent, in: engine.pack, at: time)
        }
        let d = try engine.decide(
            mutation: Fixtures.transfer(90), actor: Fixtures.agent, signals: state, system: SystemState(), now: Fixtures.monday)
        #expect(d.signals.amountZScore > 3)
        #expect(d.matchedRules == ["anomaly"])
        #expect(!d.signals.firstTime)
        #expect(d.signals.actorRate1h == 25)
    }

    @Test func decisionJSON() throws {
        let d = try decide(Fixtures.transfer(150))
        guard case .map(let map) = d.jsonValue else {
            Issue.record("not a map")
            return
        }
        #expect(map.keys.map { "\($0)" } == [
            "\"tier\"", "\"routed_tier\"", "\"score\"", "\"reasons\"", "\"approvals\"", "\"requirement\"", "\"data\"",
            "\"policy\"", "\"evaluated_at\"", "\"signals\"",
        ])
        #expect(CanonicalJSON.encode(map["approvals"]!) == #"{"groups":[{"count":1,"pool":"finance"}],"on_timeout":"unreviewed","sla_seconds":14400}"#)
        // Medium on an irreversible resource is routed as high: the high tier's pool joins, with its SLA.
        #expect(d.routedTier == .high)
        #expect(
            CanonicalJSON.encode(map["requirement"]!)
                == #"{"escalate_to":"leads","groups":[{"count":1,"pool":"finance"},{"count":2,"pool":"approvers"}],"on_timeout":"reject","sla_seconds":3600}"#)
    }

    @Test func packTestsRunAndReportFailures() throws {
        let pack = try Fixtures.pack(rules: Self.rules, extra: """
            tests:
              - name: passes
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: 150, to: acc-9 } }
                expect: { tier: medium, rules: [big], approvals: [{ pool: finance }] }
              - name: fails
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: 150, to: acc-9 } }
                expect: { tier: high, rules: [huge] }
              - name: night by the clock
                actor: { id: a, kind: agent }
                now: "2025-01-06T20:00:00Z"
                mutation: { resource: pay, operation: create, changes: { amount: 1, to: acc-9 } }
                expect: { tier: medium, rules: [night] }
              - name: expected invalid
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: -1, to: acc-9 } }
                expect: { valid: false, issues: ["changes.amount"] }
            """)
        let engine = PolicyEngine(pack: pack)
        let results = engine.run(pack.tests)
        #expect(results.map(\.passed) == [true, false, true, true])
        #expect(results[1].failures == ["expected tier high, got medium", "expected rules [huge], got [big]"])
        #expect(engine.uncoveredRules(by: results) == ["huge", "blocked", "anomaly", "burst", "trusted", "pii", "divide", "note"])
    }
}

/// Decisions build only the parts of the variables their rules read; every variable and field
/// must still reach the rules that read it.
@Suite struct ActivationTests {
    @Test func everyVariableReachesTheRules() throws {
        let pack = try Fixtures.pack(rules: """
              - id: targets
                resource: person
                when: size(mutation.targets) == 2 && mutation.target == null && mutation.operation == "update"
                score: 1
              - id: context
                when: has(mutation.context.ticket) && mutation.context.ticket == "T-1" && mutation.idempotency_key == "k"
                score: 2
              - id: actor
                when: "'ops' in actor.roles && actor.attributes.team == 'core' && actor.id == 'ana'"
                score: 4
              - id: data
                when: data.reversible && data.max_class == "pii" && data.records == 2 && "pii" in data.classes
                score: 8
              - id: signals
                when: signals.zscores.level > 1.0 && signals.actor_rate_1h == 3 && !signals.first_time
                score: 16
              - id: system
                when: system.queue_depth == 7 && !system.freeze && system.rollback_rate_1h < 0.5
                score: 32
              - id: time
                when: now > timestamp("2020-01-01T00:00:00Z") && lists.limits.size() == 2 && classes.pii == 3
                score: 64
              - id: whole
                when: mutation.resource == "person" && size(mutation) == 8
                score: 128
            """)
        var actor = Actor(id: "ana", kind: .human, roles: [])
        actor.roles = ["ops"]
        actor.attributes = CELMap(["team": .string("core")])
        let mutation = Mutation(
            resource: "person", operation: .update, targets: ["p1", "p2"], changes: ["level": .int(3), "name": .string("x")],
            context: ["ticket": .string("T-1")], idempotencyKey: "k")
        var signals = Signals.neutral
        signals.zscores["level"] = 2.5
        signals.actorRate1h = 3
        var system = SystemState()
        system.queueDepth = 7
        let d = try PolicyEngine(pack: pack).decide(mutation: mutation, actor: actor, signals: signals, system: system, now: Fixtures.monday)
        #expect(d.reasons.filter(\.failed).map(\.message) == [])
        #expect(d.matchedRules == ["targets", "context", "actor", "data", "signals", "system", "time", "whole"])
        #expect(d.score == 255)
    }

    @Test func actorAndSystemValuesFollowTheirChanges() {
        var actor = Actor(id: "a", kind: .agent)
        actor.kind = .human
        #expect(CanonicalJSON.encode(actor.jsonValue) == #"{"attributes":{},"id":"a","kind":"human","roles":[]}"#)
        var system = SystemState()
        system.freeze = true
        #expect(CanonicalJSON.encode(system.jsonValue) == #"{"freeze":true,"queue_depth":0,"rollback_rate_1h":0.0}"#)
        #expect(system == SystemState(freeze: true))
    }
}
