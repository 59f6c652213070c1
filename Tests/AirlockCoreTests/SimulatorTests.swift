import AirlockCore
import CEL
import Foundation
import Testing

/// `policy simulate`'s core: a stream decided in order, with the clock and the signal history
/// of the stream, tallied into tiers, rates, slipped bad ones and the reviewers' workload.
@Suite("Simulator")
struct SimulatorTests {
    /// A pack whose outcomes can be worked out by hand: `pay` is irreversible (medium routes as
    /// high), `note` reversible; business hours are 09:00–17:00 UTC on weekdays.
    static func pack(rules: String, high: String = "{ pool: finance, sla: 5m }") throws -> PolicyPack {
        try PolicyPack.load(
            name: "sim.yaml",
            text: """
                policy: sim-test
                classes: [public, financial]
                business_hours: { days: [mon-fri], from: "09:00", to: "17:00" }
                tiers:
                  medium: { pool: ops, sla: 10m }
                  high: \(high)
                resources:
                  pay:
                    operations: [create]
                    reversible: false
                    fields:
                      amount: { type: number, required: true, min: 0, class: financial }
                      to: { type: string, required: true, track_new: true }
                  note:
                    operations: [update]
                    reversible: true
                    fields:
                      text: { type: string, max_length: 12 }
                rules:
                \(rules)
                """)
    }

    /// Monday 2025-01-06 10:00 UTC, inside business hours.
    static let monday10 = Timestamp(seconds: 1_736_157_600)

    static func at(minutes: Double, from start: Timestamp = monday10) -> Timestamp {
        let millis = Int64((minutes * 60_000).rounded())
        return Timestamp(seconds: start.seconds + millis / 1000, nanos: Int32(millis % 1000) * 1_000_000)
    }

    static let agent = Actor(id: "agent-1", kind: .agent)
    static let other = Actor(id: "agent-2", kind: .agent)

    static func pay(_ amount: Double, to: String = "acc-1") -> Mutation {
        Mutation(resource: "pay", operation: .create, changes: ["amount": .double(amount), "to": .string(to)])
    }

    static func note(_ text: String) -> Mutation {
        Mutation(resource: "note", operation: .update, target: "n-1", changes: ["text": .string(text)])
    }

    static func record(
        _ minute: Double, _ mutation: Mutation, by actor: Actor = agent, _ label: StreamRecord.Label? = nil, line: Int = 0
    ) -> StreamRecord {
        StreamRecord(line: line, time: at(minutes: minute), actor: actor, mutation: mutation, label: label)
    }

    // MARK: Tiers and rates

    @Test("tiers per resource, catch and automation rates, and the bad ones that slipped through")
    func tiersAndRates() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: big, resource: pay, when: "mutation.changes.amount >= 1000.0", tier: high, reason: big }
                  - { id: some, resource: pay, when: "mutation.changes.amount >= 500.0", tier: medium, reason: some }
                  - { id: evil, resource: pay, when: "mutation.changes.to == 'acc-evil'", tier: block, reason: evil }
                  - { id: ask, resource: note, when: "mutation.changes.text == 'review'", tier: medium, reason: ask }
                """)
        var simulator = Simulator(pack: pack)
        let stream = [
            Self.record(0, Self.pay(10), .benign, line: 1),  // low
            Self.record(1, Self.pay(5000), .bad, line: 2),  // high
            Self.record(2, Self.pay(10, to: "acc-evil"), .bad, line: 3),  // block
            Self.record(3, Self.note("hello"), .benign, line: 4),  // low
            Self.record(4, Self.note("review"), .benign, line: 5),  // medium
            Self.record(5, Self.note("far too long for it"), .bad, line: 6),  // invalid
            Self.record(6, Self.pay(20, to: "acc-2"), .bad, line: 7),  // low: slips
            Self.record(7, Self.note("review"), .bad, line: 8),  // medium: slips, reviewed after
            Self.record(8, Self.pay(600), .benign, line: 9),  // medium on an irreversible resource: high
            Self.record(9, Self.note("x"), line: 10),  // low, unlabelled
        ]
        var tiers: [Tier?] = []
        for record in stream { tiers.append(try simulator.run(record).tier) }
        #expect(tiers == [.low, .high, .block, .low, .medium, nil, .low, .medium, .high, .low])

        let report = simulator.report
        #expect(report.resources.map(\.resource) == ["pay", "note"])
        #expect(report.resources[0].counts == .init(low: 2, high: 2, block: 1))
        #expect(report.resources[1].counts == .init(low: 2, medium: 2, invalid: 1))
        #expect(report.total == .init(low: 4, medium: 2, high: 2, block: 1, invalid: 1))
        #expect(report.bad == .init(low: 1, medium: 1, high: 1, block: 1, invalid: 1))
        #expect(report.benign == .init(low: 2, medium: 1, high: 1))
        #expect(report.unlabelled == 1)
        #expect(report.catchRate == 3.0 / 5.0)
        #expect(report.automationRate == 3.0 / 4.0)
        #expect(report.slipped.map(\.line) == [7, 8])
        #expect(report.slipped.map(\.tier) == [.low, .medium])
        #expect(report.slipped[1].rules == ["ask"])
        #expect(report.actors == 1)
        #expect(report.span?.first == Self.monday10)
        #expect(report.span?.last == Self.at(minutes: 9))
    }

    @Test("rates are absent without labelled mutations")
    func noLabels() throws {
        var simulator = Simulator(pack: try Self.pack(rules: "  []"))
        try simulator.run([Self.record(0, Self.note("a")), Self.record(1, Self.note("b"))])
        #expect(simulator.report.catchRate == nil)
        #expect(simulator.report.automationRate == nil)
        #expect(simulator.report.total.low == 2)
    }

    // MARK: Signals

    @Test("only low and medium mutations are learned as executed")
    func learnsOnlyWhatRuns() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: first, resource: note, when: "signals.first_time", tier: medium, reason: first }
                  - { id: hold, resource: note, when: "mutation.changes.text == 'hold'", tier: high, reason: hold }
                """)
        var simulator = Simulator(pack: pack)
        // agent-1: its first note is medium and runs, so its second is no longer a first time.
        let a1 = try simulator.run(Self.record(0, Self.note("x")))
        let a2 = try simulator.run(Self.record(1, Self.note("y")))
        // agent-2: its first note is held for approval, which the history does not learn.
        let b1 = try simulator.run(Self.record(2, Self.note("hold"), by: Self.other))
        let b2 = try simulator.run(Self.record(3, Self.note("y"), by: Self.other))
        #expect([a1.tier, a2.tier, b1.tier, b2.tier] == [.medium, .low, .high, .medium])
        #expect(a2.decision?.signals.firstTime == false)
        #expect(b2.decision?.signals.firstTime == true)
        let after = simulator.signals.signals(for: Self.note("z"), actor: Self.other, in: pack, now: Self.at(minutes: 4))
        #expect(!after.firstTime)
    }

    @Test("a payee first seen in a held transfer stays new; one first seen in a low one does not")
    func firstSeenOnlyFromExecuted() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: big, resource: pay, when: "mutation.changes.amount >= 1000.0", tier: high, reason: big }
                  - { id: new-payee, resource: pay, when: "signals.first_seen.to", score: 10, reason: new }
                """)
        var simulator = Simulator(pack: pack)
        let held = try simulator.run(Self.record(0, Self.pay(5000, to: "acc-7")))
        let then = try simulator.run(Self.record(1, Self.pay(5, to: "acc-7")))
        let again = try simulator.run(Self.record(2, Self.pay(5, to: "acc-7")))
        #expect(held.tier == .high)
        #expect(then.decision?.matchedRules == ["new-payee"])
        #expect(again.decision?.matchedRules == [])
    }

    @Test("every submission counts in the rate, refused and invalid ones too")
    func everySubmissionCounts() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: evil, resource: pay, when: "mutation.changes.to == 'acc-evil'", tier: block, reason: evil }
                  - { id: burst, when: "signals.actor_rate_1m >= 2", tier: medium, reason: burst }
                """)
        var simulator = Simulator(pack: pack)
        let invalid = try simulator.run(Self.record(0, Self.note("far too long for it")))
        let blocked = try simulator.run(Self.record(0.1, Self.pay(1, to: "acc-evil")))
        let third = try simulator.run(Self.record(0.2, Self.note("ok")))
        #expect(invalid.tier == nil)
        #expect(blocked.tier == .block)
        #expect(third.tier == .medium)
        #expect(third.decision?.signals.actorRate1m == 2)
    }

    @Test("the clock is the stream's: off hours and rate windows follow the records' times")
    func clockFromStream() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: night, resource: note, when: "signals.off_hours", tier: medium, reason: night }
                  - { id: rate, when: "signals.actor_rate_1m >= 3", tier: high, reason: rate }
                """)
        var simulator = Simulator(pack: pack)
        var tiers: [Tier?] = []
        // Four notes within a minute at 10:00: the fourth sees three before it.
        for second in [0.0, 0.1, 0.2, 0.3] { tiers.append(try simulator.run(Self.record(second, Self.note("n"))).tier) }
        // Two minutes later the minute's window is empty again.
        tiers.append(try simulator.run(Self.record(2.5, Self.note("n"))).tier)
        // 22:00 on Monday, then Saturday noon: off hours.
        tiers.append(try simulator.run(Self.record(12 * 60, Self.note("n"))).tier)
        tiers.append(try simulator.run(Self.record(5 * 24 * 60 + 2 * 60, Self.note("n"))).tier)
        // A week later, Monday 10:00: inside again.
        tiers.append(try simulator.run(Self.record(6 * 24 * 60 + 24 * 60, Self.note("n"))).tier)
        #expect(tiers == [.low, .low, .low, .high, .low, .medium, .medium, .low])
    }

    @Test("a record earlier than the one before it is refused with its line")
    func outOfOrder() throws {
        var simulator = Simulator(pack: try Self.pack(rules: "  []"))
        try simulator.run(Self.record(5, Self.note("a"), line: 1))
        try simulator.run(Self.record(5, Self.note("b"), line: 2))  // the same time is in order
        do {
            try simulator.run(Self.record(4, Self.note("c"), line: 3))
            Issue.record("a record out of order was run")
        } catch {
            #expect(error.line == 3)
            #expect(error.field == "time")
            #expect(error.description.hasPrefix("line 3: time: 2025-01-06T10:04:00Z is before the previous line's 2025-01-06T10:05:00Z"))
        }
        #expect(simulator.report.total.total == 2)
    }

    // MARK: The queue and the workload

    @Test("system.queue_depth counts the simulation's open reviews, closed by reviewers or by their timeout")
    func queueDepth() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: hold, resource: note, when: "mutation.changes.text == 'hold'", tier: high, reason: hold }
                  - { id: backlog, resource: note, when: "system.queue_depth >= 2", tier: block, reason: backlog }
                """)
        let stream = [
            Self.record(0, Self.note("hold")),  // a review, done at 4 min by the one reviewer
            Self.record(1, Self.note("hold")),  // another, done at 8 min but timed out at 6
            Self.record(2, Self.note("x")),  // two open: blocked
            Self.record(4.5, Self.note("x")),  // staffed: one open; unstaffed: both (timeouts at 5 and 6)
            Self.record(6.5, Self.note("x")),  // both timed out or done
        ]
        var staffed = Simulator(pack: pack, workload: WorkloadForecast(reviewers: ["finance": 1], reviewMinutes: 4))
        var alone = Simulator(pack: pack)
        var withReviewers: [Int] = []
        var withoutReviewers: [Int] = []
        for record in stream {
            withReviewers.append(try staffed.run(record).queueDepth)
            withoutReviewers.append(try alone.run(record).queueDepth)
        }
        #expect(withReviewers == [0, 1, 2, 1, 0])
        #expect(withoutReviewers == [0, 1, 2, 2, 0])
        #expect(staffed.report.total == .init(low: 2, high: 2, block: 1))
        #expect(alone.report.total == .init(low: 1, high: 2, block: 2))
        #expect(staffed.report.peakOpenReviews == 2)

        // The peak counts the review a record opens: one review is a peak of one, two at once
        // of two (it was taken before each record's own review opened: 0 and 1).
        var one = Simulator(pack: pack)
        try one.run(Self.record(0, Self.note("hold")))
        #expect(one.report.peakOpenReviews == 1)
        try one.run(Self.record(0.5, Self.note("hold")))
        #expect(one.report.peakOpenReviews == 2)
    }

    @Test("an escalating tier's review times out after twice its SLA; one without an SLA stays open")
    func timeouts() throws {
        let rules = """
              - { id: hold, resource: note, when: "mutation.changes.text == 'hold'", tier: high, reason: hold }
            """
        var escalating = Simulator(pack: try Self.pack(rules: rules, high: "{ pool: finance, sla: 5m, escalate_to: leads }"))
        var endless = Simulator(pack: try Self.pack(rules: rules, high: "{ pool: finance }"))
        var depths: [[Int]] = [[], []]
        for record in [Self.record(0, Self.note("hold")), Self.record(9.9, Self.note("x")), Self.record(10, Self.note("x"))] {
            depths[0].append(try escalating.run(record).queueDepth)
            depths[1].append(try endless.run(record).queueDepth)
        }
        #expect(depths[0] == [0, 1, 0])
        #expect(depths[1] == [0, 1, 1])
    }

    @Test("one reviewer, four minutes each, a five-minute SLA: finishes at 4, 8 and 12 minutes, two late")
    func workloadByHand() {
        var forecast = WorkloadForecast(reviewers: ["finance": 1], reviewMinutes: 4)
        let finance = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance")], slaSeconds: 300)
        let done = (0..<3).map { forecast.open(finance, at: Self.at(minutes: Double($0))) }
        #expect(done == [Self.at(minutes: 4), Self.at(minutes: 8), Self.at(minutes: 12)])
        // A record an hour later: two clock hours, three approvals asked in the first.
        forecast.observe(Self.at(minutes: 60))
        #expect(forecast.reviews == 3)
        #expect(forecast.lateReviews == 2)  // due at 6 and 7 minutes, done at 8 and 12
        #expect(forecast.neverCompleted == 0)
        let pool = forecast.pools.first
        #expect(pool?.name == "finance")
        #expect(pool?.approvals == 3)
        #expect(pool?.peakQueue == 3)  // at 2 minutes none is done yet
        #expect(pool?.late == 2)
        #expect(pool?.approvalsPerHour == 1.5)
        #expect(pool?.peakHourApprovals == 3)
        #expect(pool?.meanMinutes == 7)  // (4 + 7 + 10) / 3
        #expect(pool?.maxMinutes == 10)
    }

    @Test("a group's approvals go to distinct reviewers; too few or no reviewers never complete")
    func distinctReviewers() {
        var forecast = WorkloadForecast(reviewers: ["finance": 2, "legal": 1], reviewMinutes: 10)
        let two = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance", count: 2)], slaSeconds: 900)
        // Both reviewers take the first review at once; the second waits for one of them.
        #expect(forecast.open(two, at: Self.at(minutes: 0)) == Self.at(minutes: 10))
        #expect(forecast.open(ApprovalRequirement(groups: [ApprovalGroup(pool: "finance")], slaSeconds: 900), at: Self.at(minutes: 0)) == Self.at(minutes: 20))
        // Two from a pool of one, or one from a pool nobody staffs: never.
        #expect(forecast.open(ApprovalRequirement(groups: [ApprovalGroup(pool: "legal", count: 2)], slaSeconds: 900), at: Self.at(minutes: 1)) == nil)
        #expect(forecast.open(ApprovalRequirement(groups: [ApprovalGroup(pool: "privacy")]), at: Self.at(minutes: 1)) == nil)
        // Both groups: the later of the two.
        let both = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance"), ApprovalGroup(pool: "legal")], slaSeconds: 900)
        #expect(forecast.open(both, at: Self.at(minutes: 30)) == Self.at(minutes: 40))
        #expect(forecast.reviews == 5)
        #expect(forecast.neverCompleted == 2)
        #expect(forecast.withoutSLA == 1)
        // Late: the second (20 > 15) and the legal one with a deadline; the privacy one has none.
        #expect(forecast.lateReviews == 2)
        let pools = Dictionary(uniqueKeysWithValues: forecast.pools.map { ($0.name, $0) })
        #expect(pools.keys.sorted() == ["finance", "legal", "privacy"])
        #expect(pools["legal"]?.approvals == 3)
        #expect(pools["legal"]?.neverGiven == 1)
        #expect(pools["privacy"]?.reviewers == 0)
        #expect(pools["privacy"]?.neverGiven == 1)
        #expect(pools["privacy"]?.late == 0)
    }

    @Test("the simulation's reviews feed the forecast with the decision's requirement and SLA")
    func forecastFromSimulation() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: big, resource: pay, when: "mutation.changes.amount >= 1000.0", tier: high, approvals: { pool: finance, count: 2 }, reason: big }
                  - { id: ask, resource: note, when: "mutation.changes.text == 'review'", tier: medium, reason: ask }
                """)
        var simulator = Simulator(pack: pack, workload: WorkloadForecast(reviewers: ["finance": 2, "ops": 1], reviewMinutes: 6))
        try simulator.run([
            Self.record(0, Self.pay(2000)),  // finance ×2, done at 6, SLA 5 min: late
            Self.record(1, Self.note("review")),  // ops ×1, done at 7, SLA 10 min
            Self.record(2, Self.note("fine")),  // low: no review
        ])
        let forecast = try #require(simulator.report.workload)
        #expect(forecast.reviews == 2)
        #expect(forecast.lateReviews == 1)
        #expect(forecast.pools.map(\.name) == ["finance", "ops"])
        #expect(forecast.pools.map(\.approvals) == [2, 1])
        #expect(forecast.pools.map(\.late) == [2, 0])
    }

    // MARK: Reading a stream

    static let goodLine =
        #"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "agent-1", "kind": "agent"}, "mutation": {"resource": "note", "operation": "update", "target": "n-1", "changes": {"text": "hi"}}, "label": "bad", "id": "case-1"}"#

    @Test("a stream's lines are read into records, in chunks of any size, blank lines counted")
    func parsing() throws {
        let second = Self.goodLine.replacingOccurrences(of: "10:00:00Z", with: "10:00:30.5+01:00")
            .replacingOccurrences(of: #", "label": "bad", "id": "case-1""#, with: "")
        let text = Self.goodLine + "\r\n\n  \n" + second
        let whole = try StreamParser.records(in: text)
        #expect(whole.map(\.line) == [1, 4])
        #expect(whole[0].label == .bad)
        #expect(whole[0].id == "case-1")
        #expect(whole[1].label == nil)
        #expect(whole[1].time == Timestamp(seconds: 1_736_154_030, nanos: 500_000_000))
        #expect(whole[0].resource == "note")
        #expect(whole[0].actor.kind == .agent)

        for size in [1, 7, 64] {
            var parser = StreamParser()
            var records: [StreamRecord] = []
            let bytes = Array(text.utf8)
            for start in stride(from: 0, to: bytes.count, by: size) {
                try bytes[start..<min(bytes.count, start + size)].withUnsafeBytes { try parser.parse($0, into: &records) }
            }
            try parser.finish(into: &records)
            #expect(records.map(\.line) == [1, 4])
            #expect(records.map(\.time) == whole.map(\.time))
        }
    }

    @Test(
        "a time reads as RFC3339.parse reads it, in every spelling",
        arguments: [
            "2025-01-06T10:00:00Z", "2025-01-06T10:00:00.5Z", "2025-01-06T10:00:00.123456789Z",
            "2025-01-06T10:00:00.1234567891Z", "2025-01-06T10:00:00+01:00", "2025-01-06T10:00:00.25-05:30",
            "2024-02-29T23:59:59Z", "2025-01-06 10:00:00Z", "2025-01-06t10:00:00z", "2016-12-31T23:59:60Z",
            "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
        ])
    func times(text: String) throws {
        let line = Self.goodLine.replacingOccurrences(of: "2025-01-06T10:00:00Z", with: text)
        let expected = try #require(RFC3339.parse(text))
        #expect(try StreamParser.records(in: line).first?.time == expected)
    }

    @Test("times that are not RFC 3339 are refused", arguments: ["2025-02-29T10:00:00Z", "2025-01-06T24:00:00Z", "2025-01-06T10:00Z", "2025-01-06T10:00:00.Z", "2025-01-06T10:00:00"])
    func badTimes(text: String) {
        let line = Self.goodLine.replacingOccurrences(of: "2025-01-06T10:00:00Z", with: text)
        #expect(RFC3339.parse(text) == nil)
        do {
            _ = try StreamParser.records(in: line)
            Issue.record("\(text) was read")
        } catch {
            #expect(error.field == "time")
        }
    }

    @Test("a batch decided by verdicts, triaged ahead or not, reports what deciding each record in full reports")
    func verdictsAgree() throws {
        let pack = try Fixtures.examplePack()
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/streams/sample.jsonl")
        let records = try StreamParser.records(in: try String(contentsOf: url, encoding: .utf8))
        let pools = ["duty-managers", "finance", "ops-leads", "ops-reviewers", "pricing", "privacy", "support-leads"]
        func simulator(_ pack: PolicyPack) -> Simulator {
            Simulator(
                pack: pack, workload: WorkloadForecast(reviewers: Dictionary(uniqueKeysWithValues: pools.map { ($0, 2) }), reviewMinutes: 4))
        }

        // Each record decided in full, one by one; and every verdict beside its decision.
        var full = simulator(pack)
        let engine = full.engine
        var compared = 0
        for record in records {
            let state = full.signals
            let outcome = try full.run(record)
            guard let decision = outcome.decision, case .success(let mutation) = record.mutation else { continue }
            let triage = try engine.triage(mutation)
            let signals = state.signals(for: triage.mutation, actor: record.actor, in: pack, now: record.time)
            let system = SystemState(queueDepth: outcome.queueDepth)
            let verdict = engine.verdict(triage, actor: record.actor, signals: signals, system: system, now: record.time)
            #expect(verdict.tier == decision.tier, "line \(record.line)")
            #expect(verdict.routedTier == decision.routedTier, "line \(record.line)")
            #expect(verdict.score == decision.score, "line \(record.line)")
            #expect(verdict.matchedRules == decision.matchedRules, "line \(record.line)")
            #expect(verdict.requirement == decision.requirement, "line \(record.line)")
            compared += 1
        }
        #expect(compared > 1_000)
        let expected = full.report.jsonValue.jsonString()
        #expect(full.report.slipped.count > 0 && full.report.total.high > 0)

        var batch = simulator(pack)
        try batch.run(records)
        #expect(batch.report.jsonValue.jsonString() == expected)

        var triaged = records
        engine.triage(&triaged)
        var ahead = simulator(pack)
        try ahead.run(triaged)
        #expect(ahead.report.jsonValue.jsonString() == expected)

        // Triaged under another pack (which knows none of these resources): triaged again.
        var elsewhere = records
        PolicyEngine(pack: try Self.pack(rules: "  - { id: any, resource: pay, when: \"true\", tier: low, reason: any }"))
            .triage(&elsewhere)
        var again = simulator(pack)
        try again.run(elsewhere)
        #expect(again.report.jsonValue.jsonString() == expected)
    }

    @Test("a verdict counts a rule that fails to evaluate as a decision does: on_error's tier, not a match")
    func verdictOfFailedRule() throws {
        let pack = try Self.pack(
            rules: """
                  - { id: broken, resource: pay, when: "int(mutation.changes.amount) / 0 > 1", tier: low, reason: broken }
                  - { id: some, resource: pay, when: "mutation.changes.amount >= 500.0", score: 30, reason: some }
                  - { id: more, resource: pay, when: "mutation.changes.amount >= 800.0", score: 40, reason: more }
                """)
        let engine = PolicyEngine(pack: pack)
        for amount in [10.0, 600, 900] {
            let triage = try engine.triage(Self.pay(amount))
            let decision = engine.decide(triage, actor: Self.agent, signals: Signals(), system: SystemState(), now: Self.monday10)
            let verdict = engine.verdict(triage, actor: Self.agent, signals: Signals(), system: SystemState(), now: Self.monday10)
            #expect(decision.reasons.contains { $0.rule == "broken" && $0.failed })
            #expect(verdict.tier == decision.tier && verdict.routedTier == decision.routedTier)
            #expect(verdict.score == decision.score && verdict.matchedRules == decision.matchedRules)
            #expect(verdict.requirement == decision.requirement)
        }
    }

    @Test("the parser reads every line of the example stream as the JSON form of a record reads it")
    func fastPathAgrees() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/streams/sample.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        // Spellings the fast path leaves to the general one, in the same stream.
        let variants = text.split(separator: "\n").prefix(40).enumerated().map { i, line -> String in
            switch i % 4 {
            case 0: return " " + line.replacingOccurrences(of: ",", with: " , ") + " "
            case 1: return line.replacingOccurrences(of: "\"label\":\"benign\"", with: "\"label\":null,\"id\":\(i)")
            case 2: return line.replacingOccurrences(of: "{\"time\"", with: "{\"\\u0074ime\"")
            default: return String(line)
            }
        }
        for stream in [text, variants.joined(separator: "\n")] {
            let records = try StreamParser.records(in: stream)
            let lines = stream.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(records.count == lines.filter { !$0.isEmpty }.count)
            for record in records {
                let general = try StreamRecord(jsonValue: try Value(json: String(lines[record.line - 1])), line: record.line)
                #expect(record.time == general.time)
                #expect(record.actor.jsonValue.jsonString() == general.actor.jsonValue.jsonString())
                #expect(record.label == general.label)
                #expect(record.id == general.id)
                #expect(record.resource == general.resource)
                let mutation = try record.mutation.get()
                #expect(mutation.jsonValue.jsonString() == (try general.mutation.get()).jsonValue.jsonString())
            }
        }
    }

    @Test(
        "a bad line is refused with its number and field",
        arguments: [
            ("{\"time\": ", "", "not JSON"),
            ("[1, 2]", "", "must be a JSON object"),
            (#"{"actor": {"id": "a", "kind": "agent"}, "mutation": {}}"#, "time", "is required"),
            (#"{"time": "Monday", "actor": {"id": "a", "kind": "agent"}, "mutation": {}}"#, "time", "not an RFC 3339 time"),
            (#"{"time": "2025-01-06T10:00:00Z", "mutation": {}}"#, "actor", "is required"),
            (#"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "robot"}, "mutation": {}}"#, "actor.kind", "must be one of"),
            (#"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "agent"}}"#, "mutation", "is required"),
            (#"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "agent"}, "mutation": 3}"#, "mutation", "must be an object"),
            (#"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "agent"}, "mutation": {}, "label": "evil"}"#, "label", "must be \"benign\" or \"bad\""),
            (#"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "agent"}, "mutation": {}, "lable": "bad"}"#, "lable", "did you mean 'label'?"),
        ])
    func badLines(line: String, field: String, message: String) {
        let text = Self.goodLine + "\n\n" + line + "\n" + Self.goodLine
        do {
            let records = try StreamParser.records(in: text)
            Issue.record("read \(records.count) records")
        } catch {
            #expect(error.line == 3)
            #expect(error.field == field)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("a mutation that is not well formed counts as invalid, not as a bad line")
    func malformedMutationIsInvalid() throws {
        let line = #"{"time": "2025-01-06T10:00:00Z", "actor": {"id": "a", "kind": "agent"}, "mutation": {"resource": "note"}, "label": "bad"}"#
        let records = try StreamParser.records(in: line)
        var simulator = Simulator(pack: try Self.pack(rules: "  []"))
        let outcome = try simulator.run(records[0])
        #expect(outcome.tier == nil)
        #expect(outcome.invalid?.issues.map(\.path) == ["operation"])
        #expect(simulator.report.bad.invalid == 1)
        #expect(simulator.report.catchRate == 1)
    }

    @Test("an actor is read once while its JSON stays the same, and again when it changes")
    func actorsReused() throws {
        let changed = Self.goodLine.replacingOccurrences(of: #""kind": "agent"}"#, with: #""kind": "agent", "roles": ["bot"]}"#)
        let records = try StreamParser.records(in: [Self.goodLine, Self.goodLine, changed].joined(separator: "\n"))
        #expect(records.map(\.actor.roles) == [[], [], ["bot"]])
    }
}
