@testable import AirlockCore
import CEL
import Foundation
import Testing

/// Recorded decisions read by the fast path (``RecordedCase/Reader``) give exactly the cases the
/// general path gives, and whatever the fast path leaves goes to the general path.
@Suite struct RecordedCaseFastPathTests {
    /// The example stream's mutations decided by the example pack and recorded as the gateway
    /// records them (the mutation document; the decision with its inputs, canonical JSON).
    static func recordedExampleStream() throws -> [RecordedCase.Payloads] {
        try recorded.get()
    }

    /// Made once for every test and argument: each making is about a second of CPU in a debug
    /// build, and synchronous tests run on the cooperative threads the whole suite shares (the
    /// 27 arguments, each making its own, held both threads for half a minute at the start of a
    /// CI run, and tests waiting for a task to run timed out).
    private static let recorded = Result { try makeRecordedExampleStream() }

    private static func makeRecordedExampleStream() throws -> [RecordedCase.Payloads] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/streams/sample.jsonl")
        let records = try StreamParser.records(in: try String(contentsOf: url, encoding: .utf8))
        let pack = try Fixtures.examplePack()
        let engine = PolicyEngine(pack: pack)
        var state = SignalState()
        var payloads: [RecordedCase.Payloads] = []
        for (index, record) in records.enumerated() {
            guard case .success(var mutation) = record.mutation else { continue }
            // What triage would have read of the target: here, its changed fields as they were.
            if mutation.before == nil, mutation.target != nil { mutation.before = mutation.changes }
            state.countSubmission(actorID: record.actor.id, at: record.time)
            let system = SystemState(freeze: index % 17 == 0, queueDepth: index % 9, rollbackRate1h: Double(index % 5) / 10)
            guard let decision = try? engine.decide(mutation: mutation, actor: record.actor, signals: state, system: system, now: record.time)
            else { continue }
            if decision.routedTier <= .medium { state.record(mutation, actor: record.actor, in: pack, at: record.time) }
            let inputs = DecisionInputs(
                actor: record.actor, system: system, before: mutation.before, decisionMicroseconds: index % 3 == 0 ? nil : 100 + index)
            var document = mutation
            document.before = nil
            payloads.append(
                RecordedCase.Payloads(
                    mutationID: "m-\(index)", submitted: CanonicalJSON.encode(document.jsonValue),
                    decided: CanonicalJSON.encode(inputs.recorded(with: decision))))
        }
        return payloads
    }

    /// Everything a case holds, as text, for comparing two.
    static func fingerprint(_ result: Result<RecordedCase, ValidationFailure>) -> String {
        switch result {
        case .failure(let failure): return "failure: \(failure)"
        case .success(let c):
            return [
                c.mutationID, CanonicalJSON.encode(c.mutation.jsonValue), CanonicalJSON.encode(c.inputs.jsonValue),
                CanonicalJSON.encode(c.signals.jsonValue), RFC3339.format(c.decidedAt), c.tier.rawValue,
                c.rules.joined(separator: ","), c.decidingRules.joined(separator: ","), c.policyVersion,
            ].joined(separator: " | ")
        }
    }

    static func general(_ payload: RecordedCase.Payloads) -> Result<RecordedCase, ValidationFailure> {
        Result { () throws(ValidationFailure) in
            try RecordedCase(mutationID: payload.mutationID, submitted: payload.submitted, decided: payload.decided)
        }
    }

    @Test func whatTheGatewayRecordsIsReadByTheFastPathAsTheGeneralPathReadsIt() throws {
        let payloads = try Self.recordedExampleStream()
        #expect(payloads.count > 1_000, "\(payloads.count)")
        var reader = RecordedCase.Reader()
        var withRules = 0
        for payload in payloads {
            guard let fast = reader.fastCase(payload) else {
                Issue.record("the fast path left a decision the gateway recorded: \(payload.decided)")
                return
            }
            if !fast.rules.isEmpty { withRules += 1 }
            #expect(Self.fingerprint(.success(fast)) == Self.fingerprint(Self.general(payload)))
        }
        #expect(withRules > 100, "reasons were read: \(withRules) cases name a rule")
    }

    @Test(
        "what the fast path leaves is read, or refused, as the general path does",
        arguments: [
            ("an unknown key", #"{"#, #"{"note":1,"#),
            ("a repeated key", #""tier":"#, #""tier":"block","tier":"#),
            ("an escape in a key", #""routed_tier""#, #""routed\u005ftier""#),
            ("an escape in a rule's name", #""rule":""#, #""rule":"\u0041"#),
            ("a failed reason", #""rule":""#, #""failed":true,"rule":""#),
            ("a reason that is not an object", #""reasons":["#, #""reasons":[7,"#),
            ("a routed tier that is not a tier", #""routed_tier":""#, #""routed_tier":"x"#),
            ("inputs with an unknown key", #""inputs":{"#, #""inputs":{"other":1,"#),
            ("inputs without an actor", #""actor":"#, #""someone":"#),
            ("a null before", #""inputs":{"#, #""inputs":{"before":null,"#),
            ("system that is not an object", #""system":{"#, #""system":[],"ignored":{"#),
            ("a decision without inputs", #""inputs":"#, #""outputs":"#),
            ("a time in another spelling", #""evaluated_at":"2025-01-06T"#, #""evaluated_at":"2025-01-06t"#),
            ("spaces between members", #"",""#, #"" , ""#),
        ] as [(String, String, String)])
    func theGeneralPathDecides(what: String, find: String, replace: String) throws {
        let payloads = try Self.recordedExampleStream()
        let chosen = try #require(payloads.first { $0.decided.contains(#""rule":""#) && $0.decided.contains(#""before":"#) })
        guard let range = chosen.decided.range(of: find) else {
            Issue.record("\(what): '\(find)' is not in \(chosen.decided)")
            return
        }
        var payload = chosen
        payload.decided.replaceSubrange(range, with: replace)
        var reader = RecordedCase.Reader()
        let read = reader.read(payload)
        #expect(Self.fingerprint(read) == Self.fingerprint(Self.general(payload)), "\(what): \(payload.decided)")
    }

    @Test(
        "a mutation document is read by its skim, or left to the general path, as the general path reads it",
        arguments: [
            ("an unknown key", #"{"#, #"{"note":1,"#, false),
            ("an unknown key that is null", #"{"#, #"{"note":null,"#, false),
            ("a repeated key", #""operation":"#, #""operation":"delete","operation":"#, false),
            ("an escape in a key", #""resource""#, #""\u0072esource""#, false),
            ("an escape in a name", #""resource":""#, #""resource":"\u0070"#, false),
            ("an unknown operation", #""operation":""#, #""operation":"x"#, false),
            ("a null member", #""target":"#, #""idempotency_key":null,"target":"#, true),
            ("an idempotency key", #"{"#, #"{"idempotency_key":"k-1","#, true),
            ("targets", #""target":"#, #""targets":["a","b"],"target":"#, true),
            ("targets that are not strings", #""target":"#, #""targets":[1],"target":"#, false),
            ("changes that are not an object", #""changes":{"#, #""changes":[],"other":{"#, false),
            ("spaces between members", #"",""#, #"" , ""#, true),
            ("text that is not ASCII", #""changes":{"#, #""context":{"note":"é"},"changes":{"#, true),
        ] as [(String, String, String, Bool)])
    func theMutationSkimAgrees(what: String, find: String, replace: String, skimmed: Bool) throws {
        let payloads = try Self.recordedExampleStream()
        let chosen = try #require(payloads.first { $0.submitted.contains(#""target":""#) && $0.submitted.contains(#""changes":{"#) })
        guard let range = chosen.submitted.range(of: find) else {
            Issue.record("\(what): '\(find)' is not in \(chosen.submitted)")
            return
        }
        var payload = chosen
        payload.submitted.replaceSubrange(range, with: replace)
        var reader = RecordedCase.Reader()
        let read = reader.read(payload)
        #expect(Self.fingerprint(read) == Self.fingerprint(Self.general(payload)), "\(what): \(payload.submitted)")
        var submitted = payload.submitted
        let skim = submitted.withUTF8 { StreamParser.plainMutation($0, 0..<$0.count) }
        #expect((skim != nil) == skimmed, "\(what): the skim \(skimmed ? "should read" : "should leave") \(payload.submitted)")
    }

    @Test(
        "signals are read by their skim, or left to the general reader, as it reads them",
        arguments: [
            (
                #"{"actor_rate_1h":3,"actor_rate_1m":1,"amount_zscore":1.25,"first_seen":{"iban":true,"to_account":false},"first_time":false,"off_hours":true,"resource_amount_zscore":-0.5,"zscores":{"amount":2.5,"fee":-1}}"#,
                true
            ),
            ("{}", true),
            (#"{"actor_rate_1m":2.0,"actor_rate_1h":7}"#, true),
            (#"{"amount_zscore":1e2,"resource_amount_zscore":-0.0}"#, true),
            (#"{"amount_zscore":0.1234567890123456789,"zscores":{"é":0.3}}"#, true),
            (#"{"actor_rate_1m":2.5}"#, false),
            (#"{"other":1}"#, false),
            (#"{"first_time":null}"#, false),
            (#"{"off_hours":true,"off_hours":false}"#, false),
            (#"{"zscores":{"amount":1},"zscores":{"fee":2}}"#, false),
            (#"{"zscores":{"amount":1,"amount":2}}"#, false),
            (#"{"first_seen":{"iban":1}}"#, false),
            (#"{"zscores":{"\u0061mount":1}}"#, false),
            (#"{"amount_zscore":"1"}"#, false),
        ] as [(String, Bool)])
    func theSignalsSkimAgrees(text: String, skimmed: Bool) throws {
        let bytes = Array(text.utf8)
        let walked = bytes.withUnsafeBufferPointer { RecordedCase.Reader.signals($0, from: 0) }
        // Read to its closing brace and no further.
        let skim = walked.flatMap { $0.end == bytes.count ? $0.0 : nil }
        if let walked { #expect(walked.end == bytes.count, "\(text)") }
        #expect((skim != nil) == skimmed, "\(text)")
        if let skim {
            let general = try Signals(jsonValue: try Value(json: text))
            #expect(CanonicalJSON.encode(skim.jsonValue) == CanonicalJSON.encode(general.jsonValue), "\(text)")
        }
    }

    @Test(
        "values nested to the general path's bound are read as it reads them, and deeper ones are not",
        arguments: [61, 62, 63])
    func nestingAtTheBound(chain: Int) throws {
        let payloads = try Self.recordedExampleStream()
        let chosen = try #require(payloads.first { $0.decided.contains(#""before":{"#) && $0.submitted.contains(#""changes":{"#) })
        let deep = String(repeating: #"{"a":"#, count: chain) + "1" + String(repeating: "}", count: chain)
        var inBefore = chosen
        inBefore.decided = inBefore.decided.replacingOccurrences(of: #""before":{"#, with: #""before":{"deep":\#(deep),"#)
        var inChanges = chosen
        inChanges.submitted = inChanges.submitted.replacingOccurrences(of: #""changes":{"#, with: #""changes":{"deep":\#(deep),"#)
        for payload in [inBefore, inChanges] {
            var reader = RecordedCase.Reader()
            #expect(Self.fingerprint(reader.read(payload)) == Self.fingerprint(Self.general(payload)), "\(chain) levels")
        }
        // `before` is the third level of the decision: a chain of 61 inside it reaches the 64th,
        // which the general path still reads; 62 goes past it.
        var reader = RecordedCase.Reader()
        let read = reader.read(inBefore)
        #expect(((try? read.get()) != nil) == (chain <= 61), "\(read)")
    }

    @Test func aRecordedCountOutOfRangeIsLeftOutNotATrap() throws {
        let payloads = try Self.recordedExampleStream()
        let chosen = try #require(payloads.first { $0.decided.contains(#""decision_us":"#) && $0.decided.contains(#""queue_depth":"#) })
        var payload = chosen
        payload.decided = payload.decided.replacing(#/"queue_depth":[0-9]+/#, with: #""queue_depth":1e300"#)
            .replacing(#/"decision_us":[0-9]+/#, with: #""decision_us":-1e300"#)
        #expect(payload.decided.contains("1e300"))
        var reader = RecordedCase.Reader()
        let read = try reader.read(payload).get()
        #expect(read.inputs.system.queueDepth == 0)
        #expect(read.inputs.decisionMicroseconds == nil)
        #expect(Self.fingerprint(.success(read)) == Self.fingerprint(Self.general(payload)))
    }

    @Test func anActorReadOnceIsTheSameActorWhenItsTextComesAgain() throws {
        let payloads = try Self.recordedExampleStream()
        var reader = RecordedCase.Reader()
        let firstRead = reader.fastCase(payloads[0])
        let againRead = reader.fastCase(payloads[0])
        let first = try #require(firstRead)
        let again = try #require(againRead)
        #expect(Self.fingerprint(.success(first)) == Self.fingerprint(.success(again)))
        // Another actor's text is read as that actor, not taken for one seen before.
        let other = try #require(payloads.first { !$0.decided.contains(first.inputs.actor.id) })
        let otherRead = reader.fastCase(other)
        let read = try #require(otherRead)
        #expect(read.inputs.actor.id != first.inputs.actor.id)
        #expect(Self.fingerprint(.success(read)) == Self.fingerprint(Self.general(other)))
    }
}
