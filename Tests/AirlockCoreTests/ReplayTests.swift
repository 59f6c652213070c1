@testable import AirlockCore
import CEL
import Foundation
import Testing

/// Reading recorded decisions back and deciding them again.
@Suite struct ReplayTests {
    static let document = #"{"resource":"catalog.product","operation":"update","target":"sku-1","changes":{"title":"Lamp"}}"#

    static func decided(tier: String, inputs: String?) -> String {
        var text = #"{"tier":"\#(tier)","routed_tier":"\#(tier)","score":0,"reasons":[{"rule":"r1","message":"m","values":{}},"#
            + #"{"rule":"broken","message":"m","values":{},"failed":true}],"evaluated_at":"2026-01-06T10:00:00Z","#
            + #""policy":{"name":"p","version":"v1"},"signals":{"actor_rate_1m":3}"#
        if let inputs { text += #","inputs":\#(inputs)"# }
        return text + "}"
    }

    @Test func aRecordedDecisionReadsBackWithItsInputs() throws {
        let inputs = #"{"actor":{"id":"agent-7","kind":"agent","roles":[],"attributes":{}},"system":{"freeze":true,"queue_depth":4,"rollback_rate_1h":0.5},"before":{"title":"Old"},"decision_us":250}"#
        let recorded = try RecordedCase(mutationID: "m-1", submitted: Self.document, decided: Self.decided(tier: "high", inputs: inputs))
        #expect(recorded.tier == .high)
        #expect(recorded.rules == ["r1"], "a rule that failed to evaluate did not match")
        #expect(recorded.inputs.actor.id == "agent-7")
        #expect(recorded.inputs.system == SystemState(freeze: true, queueDepth: 4, rollbackRate1h: 0.5))
        #expect(recorded.inputs.decisionMicroseconds == 250)
        guard case .string(let old)? = recorded.mutation.before?["title"] else {
            Issue.record("no before value: \(String(describing: recorded.mutation.before))")
            return
        }
        #expect(old == "Old", "the values read at triage, not the agent's")
        #expect(recorded.signals.actorRate1m == 3)
        #expect(recorded.decidedAt == RFC3339.parse("2026-01-06T10:00:00Z"))
        #expect(recorded.policyVersion == "v1")
    }

    /// A candidate that changes what a rule says (its tier), not whether it matches: the change
    /// names that rule, in the change and in the rules table.
    @Test func aRuleWhoseTierChangedAccountsForTheChange() throws {
        let original = try Fixtures.examplePack()
        let inputs = #"{"actor":{"id":"svc-crm","kind":"service","roles":[],"attributes":{}},"system":{"freeze":false,"queue_depth":0,"rollback_rate_1h":0},"decision_us":9}"#
        let decided = #"{"tier":"high","routed_tier":"high","score":0,"reasons":[{"rule":"customer-delete","tier":"high","message":"m","values":{}}],"#
            + #""evaluated_at":"2026-01-06T10:00:00Z","policy":{"name":"p","version":"\#(original.version)"},"inputs":\#(inputs)}"#
        let recorded = try RecordedCase(
            mutationID: "m-1", submitted: #"{"resource":"crm.customer","operation":"delete","target":"cus-42"}"#, decided: decided)
        #expect(recorded.decidingRules == ["customer-delete"])
        let same = Replay.run([recorded], candidate: PolicyEngine(pack: original))
        try #require(same.replayed == 1 && same.changed == 0, "the recorded decision is the original pack's: \(same.changes)")

        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/policies")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted().map { name in
            var text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            if name == "crm.yaml" {
                text = text.replacingOccurrences(
                    of: "when: mutation.operation == \"delete\"\n    tier: high", with: "when: mutation.operation == \"delete\"\n    tier: medium")
            }
            return (name, text)
        }
        let candidate = PolicyEngine(pack: try PolicyPack.load(files: files))
        let report = Replay.run([recorded], candidate: candidate)
        let change = try #require(report.changes.first, "the candidate decides the delete medium")
        #expect(change.old == .high && change.new == .medium)
        #expect(change.rulesAdded.isEmpty && change.rulesRemoved.isEmpty)
        #expect(change.rulesChanged == ["customer-delete"])
        #expect(report.rules["customer-delete"]?.matchedBoth == 1, "\(report.rules)")
    }

    @Test func aDecisionRecordedWithoutInputsSaysSo() {
        #expect {
            try RecordedCase(mutationID: "m-1", submitted: Self.document, decided: Self.decided(tier: "low", inputs: nil))
        } throws: { error in
            "\(error)".contains("keeps no inputs")
        }
        #expect(throws: ValidationFailure.self) {
            try RecordedCase(mutationID: "m-1", submitted: "{not json", decided: Self.decided(tier: "low", inputs: nil))
        }
    }

    @Test(arguments: [
        (Tier.low, Tier.high, true), (.low, .medium, true), (.low, .low, false), (.medium, .high, true), (.medium, .block, true),
        (.medium, .medium, false), (.medium, .low, false), (.high, .low, false), (.block, .high, false),
    ])
    func whatCountsAsLettingARejectionThrough(new: Tier, old: Tier, missed: Bool) {
        #expect(Replay.runsBeforeAnyoneLooks(new, then: old) == missed)
    }

    @Test func readingAndReplayingInConcurrentTasksGivesTheSameReportInOrder() async throws {
        let engine = PolicyEngine(pack: try Fixtures.examplePack())
        let inputs = #"{"actor":{"id":"agent-7","kind":"agent","roles":[],"attributes":{}},"system":{"freeze":false,"queue_depth":0,"rollback_rate_1h":0},"decision_us":9}"#
        // 2,500 transfers recorded as low; the candidate (the example pack) decides the large
        // ones otherwise, so changes are spread over every slice.
        let payloads = (0..<2_500).map { i in
            let amount = i % 7 == 0 ? 20_000 : 50
            return RecordedCase.Payloads(
                mutationID: "m-\(i)",
                submitted: #"{"resource":"payments.transfer","operation":"create","changes":{"amount":\#(amount),"currency":"USD","from_account":"acc-100200","to_account":"acc-100001"}}"#,
                decided: #"{"tier":"low","routed_tier":"low","score":0,"reasons":[],"evaluated_at":"2026-01-06T10:00:00Z","policy":{"name":"p","version":"v1"},"inputs":\#(inputs)}"#)
        }
        let sequential = try await RecordedCase.read(payloads, tasks: 1).map { try $0.get() }
        let concurrent = try await RecordedCase.read(payloads, tasks: 3).map { try $0.get() }
        #expect(concurrent.map(\.mutationID) == payloads.map(\.mutationID), "results keep the order of the payloads")
        let one = Replay.run(sequential, candidate: engine)
        let three = await Replay.run(concurrent, candidate: engine, tasks: 3)
        #expect(one.replayed == 2_500 && three.replayed == 2_500)
        #expect(one.changed > 300, "\(one.changed)")
        #expect(three.changes.map(\.mutationID) == one.changes.map(\.mutationID))
        #expect(three.confusion == one.confusion)
        #expect(three.rules == one.rules)
    }

    @Test(arguments: [1, 3])
    func replayingAsTheCasesAreReadGivesTheReportOfTheCasesRead(tasks: Int) async throws {
        let engine = PolicyEngine(pack: try Fixtures.examplePack())
        let inputs = #"{"actor":{"id":"agent-7","kind":"agent","roles":[],"attributes":{}},"system":{"freeze":false,"queue_depth":0,"rollback_rate_1h":0},"decision_us":9}"#
        // Large transfers recorded as low and small ones as high (the example pack decides both
        // otherwise), with a payload that does not read every 500th; 3,500 of them, so that three
        // tasks take a slice each (a slice is at least 1,000).
        let payloads = (0..<3_500).map { i in
            let amount = i % 7 == 0 ? 20_000 : 50
            let tier = i % 7 == 0 ? "low" : "high"
            return RecordedCase.Payloads(
                mutationID: "m-\(i)",
                submitted: #"{"resource":"payments.transfer","operation":"create","changes":{"amount":\#(amount),"currency":"USD","from_account":"acc-100200","to_account":"acc-100001"}}"#,
                decided: i % 500 == 3
                    ? #"{"tier":"low"}"#
                    : #"{"tier":"\#(tier)","routed_tier":"\#(tier)","score":0,"reasons":[],"evaluated_at":"2026-01-06T10:00:00Z","policy":{"name":"p","version":"v1"},"inputs":\#(inputs)}"#)
        }
        // What became of some: rejected by a person (the small ones among them are missed
        // rejections), or rolled back.
        var outcomes: [String: RecordedCase.Outcome] = [:]
        for i in stride(from: 0, to: 3_500, by: 3) {
            var outcome = RecordedCase.Outcome()
            outcome.rejectedByPerson = i % 2 == 0
            outcome.rolledBack = i % 2 == 1
            outcomes["m-\(i)"] = outcome
        }
        var cases: [RecordedCase] = []
        var unreadable: [String] = []
        for (payload, result) in zip(payloads, await RecordedCase.read(payloads, tasks: 1)) {
            switch result {
            case .success(var recorded):
                recorded.outcome = outcomes[recorded.mutationID] ?? recorded.outcome
                cases.append(recorded)
            case .failure: unreadable.append(payload.mutationID)
            }
        }
        let expected = Replay.run(cases, candidate: engine)
        var (streamed, notRead) = await Replay.run(payloads, candidate: engine, tasks: tasks)
        #expect(notRead.map(\.mutationID) == unreadable && unreadable.count == 7, "\(notRead.map(\.mutationID))")
        #expect(streamed.missedRejections.isEmpty, "no outcome is known before they are attached")
        streamed.attach(outcomes: outcomes)
        #expect(streamed.replayed == expected.replayed && expected.replayed == 3_493)
        #expect(streamed.changes.map(\.mutationID) == expected.changes.map(\.mutationID))
        #expect(streamed.changes.map(\.outcome) == expected.changes.map(\.outcome))
        #expect(streamed.missedRejections.map(\.mutationID) == expected.missedRejections.map(\.mutationID))
        #expect(expected.missedRejections.count > 20, "\(expected.missedRejections.count)")
        #expect(streamed.confusion == expected.confusion)
        #expect(streamed.rules == expected.rules)
    }
}
