import AirlockCore
import CEL
import Foundation
import Testing

/// The gateway saves its ``SignalState`` as JSON and reads it back at start-up: what an earlier
/// version saved must read back, whatever the in-memory representation (see also
/// `SignalHistoryTests.decodesAHistorySavedBeforeSubmissionsWereCounted`).
@Suite struct SignalStateCodingTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.examplePack() }

    static let t = Timestamp(seconds: 1_736_164_800)
    static let agent = Actor(id: "agent-1", kind: .agent, roles: ["bench"])

    static func transfer(_ amount: Double, to: String) -> Mutation {
        Mutation(
            resource: "payments.transfer", operation: .create,
            changes: [
                "amount": .double(amount), "currency": .string("EUR"), "from_account": .string("acc-100001"),
                "to_account": .string(to),
            ])
    }

    /// Written by the state as it was before resources and fields moved to name tables (three
    /// transfers by `agent-1`, 61 s apart, to acc-200000, acc-200001 and acc-200002).
    static let savedBlob = #"""
{"actors":{"agent-1":{"lastHour":{"bucketSeconds":60,"buckets":[{"count":1,"stamp":28936080},{"count":1,"stamp":28936081},{"count":1,"stamp":28936082},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808}]},"lastMinute":{"bucketSeconds":1,"buckets":[{"count":1,"stamp":1736164800},{"count":1,"stamp":1736164861},{"count":1,"stamp":1736164922},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808}]},"resources":{"payments.transfer":{"amount":{"count":3,"m2":3042.1666666666665,"mean":80.83333333333333}}}}},"resources":{"payments.transfer":{"fields":{"amount":{"count":3,"m2":3042.1666666666665,"mean":80.83333333333333}},"seen":{"to_account":["acc-200002","acc-200000","acc-200001"]}}}}
"""#

    @Test func decodesAHistorySavedBeforeNameTables() throws {
        let state = try JSONDecoder().decode(SignalState.self, from: Data(Self.savedBlob.utf8))
        #expect(state.actorCount == 1)
        let now = Timestamp(seconds: Self.t.seconds + 150)
        let known = state.signals(for: Self.transfer(50, to: "acc-200001"), actor: Self.agent, in: pack, now: now)
        #expect(!known.firstTime)
        #expect(known.actorRate1h == 3)
        #expect(known.actorRate1m == 1)
        #expect(known.firstSeen == ["to_account": false])
        let fresh = state.signals(for: Self.transfer(50, to: "acc-999999"), actor: Self.agent, in: pack, now: now)
        #expect(fresh.firstSeen == ["to_account": true])
        let other = Actor(id: "agent-2", kind: .agent)
        #expect(state.signals(for: Self.transfer(50, to: "acc-200001"), actor: other, in: pack, now: now).firstTime)
        // Written back (in today's form) and read again, it derives the same signals and writes
        // the same JSON (sets aside, whose order is not kept).
        let rewritten = try JSONEncoder().encode(state)
        let reread = try JSONDecoder().decode(SignalState.self, from: rewritten)
        #expect(reread.signals(for: Self.transfer(50, to: "acc-200001"), actor: Self.agent, in: pack, now: now) == known)
        #expect(try Self.canonical(JSONEncoder().encode(reread)) == Self.canonical(rewritten))
    }

    @Test func roundTripsThroughJSON() throws {
        var state = SignalState()
        let crm = Mutation(resource: "crm.customer", operation: .update, target: "cus-1", changes: ["notes": .string("x")])
        for i in 0..<40 {
            let actor = Actor(id: "agent-\(i % 3)", kind: .agent)
            state.record(Self.transfer(100 + Double(i), to: "acc-20000\(i % 4)"), actor: actor, in: pack, at: Timestamp(seconds: Self.t.seconds - 2_000 + Int64(i * 40)))
            state.record(crm, actor: actor, in: pack, at: Timestamp(seconds: Self.t.seconds - 1_000 + Int64(i)))
        }
        let blob = try JSONEncoder().encode(state)
        let decoded = try JSONDecoder().decode(SignalState.self, from: blob)
        #expect(decoded.actorCount == state.actorCount)
        for (actor, to) in [("agent-0", "acc-200001"), ("agent-1", "acc-777777"), ("agent-9", "acc-200003")] {
            let a = Actor(id: actor, kind: .agent)
            for mutation in [Self.transfer(5_000, to: to), crm] {
                #expect(
                    decoded.signals(for: mutation, actor: a, in: pack, now: Self.t)
                        == state.signals(for: mutation, actor: a, in: pack, now: Self.t))
            }
        }
        #expect(try Self.canonical(JSONEncoder().encode(decoded)) == Self.canonical(blob))
    }

    /// JSON with sorted keys and every array of strings (a set of seen values) sorted.
    static func canonical(_ data: Data) throws -> Data {
        func sortSets(_ any: Any) -> Any {
            if let object = any as? [String: Any] { return object.mapValues(sortSets) }
            if let strings = any as? [String] { return strings.sorted() }
            if let array = any as? [Any] { return array.map(sortSets) }
            return any
        }
        let object = sortSets(try JSONSerialization.jsonObject(with: data))
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
