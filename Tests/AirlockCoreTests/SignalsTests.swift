import Foundation
import AirlockCore
import CEL
import Testing

@Suite struct RunningStatsTests {
    @Test func matchesTheTwoPassFormulas() {
        let values: [Double] = (1...50).map { Double($0 * $0 % 37) + 0.5 }
        var stats = RunningStats()
        for v in values { stats.add(v) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        #expect(stats.count == 50)
        #expect(abs(stats.mean - mean) < 1e-9)
        #expect(abs(stats.variance - variance) < 1e-9)
        #expect(abs(stats.zScore(mean + 2 * variance.squareRoot()) - 2) < 1e-9)
    }

    @Test func zeroUntilTwentyObservations() {
        var stats = RunningStats()
        for i in 0..<19 { stats.add(Double(i)) }
        #expect(stats.zScore(1000) == 0)
        stats.add(19)
        #expect(stats.zScore(1000) > 100)
        #expect(stats.zScore(stats.mean) == 0)
        #expect(stats.zScore(-1000) < -100)
    }

    @Test func constantHistory() {
        var stats = RunningStats()
        for _ in 0..<25 { stats.add(100) }
        #expect(stats.zScore(100) == 0)
        #expect(stats.zScore(100.01) == RunningStats.zScoreLimit)
        #expect(stats.zScore(99) == -RunningStats.zScoreLimit)
    }

    @Test func nanInfinityAndHugeValuesAreIgnored() {
        var stats = RunningStats()
        for i in 0..<30 { stats.add(Double(i)) }
        let before = stats
        stats.add(.nan)
        stats.add(.infinity)
        stats.add(1.7e308)
        stats.add(-1.7e308)
        #expect(stats == before)
        #expect(stats.mean.isFinite && stats.variance.isFinite)
        #expect(stats.zScore(.nan) == 0)
        #expect(stats.zScore(1e308) == RunningStats.zScoreLimit)
    }
}

@Suite struct RateWindowTests {
    @Test func slidesByTheSecond() {
        var window = RateWindow.minute()
        for t in stride(from: Int64(1000), to: 1060, by: 1) { window.record(at: t) }
        #expect(window.count(at: 1059) == 60)
        #expect(window.count(at: 1060) == 59)
        #expect(window.count(at: 1089) == 30)
        #expect(window.count(at: 1119) == 0)
        window.record(at: 2000)
        window.record(at: 2000)
        #expect(window.count(at: 2000) == 2)
    }

    @Test func hourWindowCountsMinutes() {
        var window = RateWindow.hour()
        for minute in 0..<90 { window.record(at: Int64(minute * 60)) }
        #expect(window.count(at: 89 * 60) == 60)
        #expect(window.count(at: 89 * 60 + 3600) == 0)
    }

    @Test func oldEventsDoNotOverwriteNewerBuckets() {
        var window = RateWindow.minute()
        window.record(at: 120)
        window.record(at: 60)  // same slot, older: dropped
        #expect(window.count(at: 120) == 1)
        window.record(at: -5)
        #expect(window.count(at: -1) == 1)
    }

    /// A saved window with absurd stamps (a corrupted or hand-edited state) reads back and keeps
    /// counting: no arithmetic on its stamps traps.
    @Test(arguments: [Int64.min + 1, Int64.max, -9_000_000_000_000_000_000, 9_000_000_000_000_000_000])
    func absurdSavedStampsDoNotTrap(stamp: Int64) throws {
        let empty = #",{"stamp":-9223372036854775808,"count":0}"#
        let json = #"{"bucketSeconds":1,"buckets":[{"stamp":\#(stamp),"count":3}"# + String(repeating: empty, count: 59) + "]}"
        var window = try JSONDecoder().decode(RateWindow.self, from: Data(json.utf8))
        _ = window.count(at: 1_000)
        window.record(at: 1_000)
        window.record(at: 1_001)
        #expect(window.count(at: 1_001) == 2)
        _ = window.count(at: Int64.max / 2)
    }

    /// The running total agrees with counting every event, for events in and out of order, gaps
    /// longer than the window, counts at, after and before the newest event, and a window read
    /// back from its saved form.
    @Test(arguments: [(Int64(1), 60), (Int64(60), 60), (Int64(5), 7)])
    func runningTotalAgreesWithCountingEveryEvent(bucketSeconds: Int64, buckets: Int) throws {
        var window = RateWindow(bucketSeconds: bucketSeconds, buckets: buckets)
        var kept: [Int64] = []  // the buckets of the events the window keeps
        var random: UInt64 = 0x9e37_79b9
        func next(_ n: Int64) -> Int64 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((random >> 33) % UInt64(n))
        }
        func bucket(_ t: Int64) -> Int64 { t >= 0 ? t / bucketSeconds : (t - bucketSeconds + 1) / bucketSeconds }
        let span = bucketSeconds * Int64(buckets)
        var now: Int64 = -span
        for step in 0..<3_000 {
            switch next(10) {
            case 0: now += span * (1 + next(3))  // a gap longer than the window
            case 1...5: now += next(bucketSeconds * 3)
            default: break
            }
            let t = next(4) == 0 ? now - next(span * 2) : now  // sometimes an older event
            // What the window keeps: an event is dropped when its slot holds a newer bucket.
            let b = bucket(t)
            let slotHolder = kept.filter { (($0 - b) % Int64(buckets) + Int64(buckets)) % Int64(buckets) == 0 }.max()
            if slotHolder.map({ $0 > b }) ?? false {
                window.record(at: t)
            } else {
                kept.removeAll { (($0 - b) % Int64(buckets) + Int64(buckets)) % Int64(buckets) == 0 && $0 != b }
                kept.append(b)
                window.record(at: t)
            }
            for at in [now, now + next(span * 2), now - next(span)] {
                let current = bucket(at)
                let expected = kept.filter { $0 <= current && $0 > current - Int64(buckets) }.count
                #expect(window.count(at: at) == expected, "step \(step), count at \(at)")
            }
        }
        let decoded = try JSONDecoder().decode(RateWindow.self, from: try JSONEncoder().encode(window))
        #expect(decoded == window)
        #expect(decoded.count(at: now) == window.count(at: now))
    }

    /// A window is saved as the buckets it uses, not one entry per bucket: an actor's two windows
    /// are most of what a saved history weighs.
    @Test func savesOnlyTheBucketsInUse() throws {
        var window = RateWindow.hour()
        for t: Int64 in [1_000, 1_030, 1_035, 4_000] { window.record(at: t) }  // buckets 16, 17, 17, 66
        let blob = try JSONEncoder().encode(window)
        let object = try #require(try JSONSerialization.jsonObject(with: blob) as? [String: Any])
        #expect(object["buckets"] == nil)
        #expect(object["bucketCount"] as? Int == 60)
        #expect((object["filled"] as? [Any])?.count == 3)
        #expect(blob.count < 200)
        let decoded = try JSONDecoder().decode(RateWindow.self, from: blob)
        #expect(decoded == window)
        #expect(decoded.count(at: 4_000) == 4)
        #expect(decoded.count(at: 1_059) == 3)  // the window ending in bucket 17 holds buckets 16 and 17 only
    }

    @Test func readsTheSparseFormAndRefusesAbsurdSizes() throws {
        let json = #"{"bucketSeconds":1,"bucketCount":60,"filled":[{"stamp":100,"count":2},{"stamp":130,"count":1}]}"#
        var window = try JSONDecoder().decode(RateWindow.self, from: Data(json.utf8))
        #expect(window.count(at: 130) == 3)
        #expect(window.count(at: 160) == 1)
        window.record(at: 160)
        #expect(window.count(at: 160) == 2)
        for count in [0, -1, 1 << 40] {
            let absurd = #"{"bucketSeconds":1,"bucketCount":\#(count),"filled":[]}"#
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(RateWindow.self, from: Data(absurd.utf8)) }
        }
    }
}

@Suite struct NamedValuesTests {
    /// However they were added, the same fields give the same values, order, equality and hash;
    /// removing and replacing keep the rest in order.
    @Test func orderAndEqualityDoNotDependOnInsertionOrder() {
        let names = ["price", "amount", "stock", "cost", "zeta"]
        var reference: NamedValues<Double> = [:]
        for (i, name) in names.sorted().enumerated() { reference[name] = Double(i) }
        for permutation in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 4, 0, 3, 2]] {
            var values: NamedValues<Double> = [:]
            for i in permutation { values[names[i]] = Double(names.sorted().firstIndex(of: names[i])!) }
            #expect(values == reference)
            #expect(values.hashValue == reference.hashValue)
            #expect(values.map(\.0) == names.sorted())
            #expect(values.count == 5)
        }
        var edited = reference
        edited["cost"] = nil
        edited["amount"] = nil
        edited["zeta"] = 9
        edited["missing"] = nil
        #expect(edited.map(\.0) == ["price", "stock", "zeta"])
        #expect(edited["zeta"] == 9 && edited["cost"] == nil && edited.count == 3)
        var two: NamedValues<Bool> = ["b": true]
        two["a"] = false
        #expect(two.map(\.0) == ["a", "b"])
        two["a"] = nil
        two["b"] = nil
        #expect(two.isEmpty && two == [:])
    }
}

@Suite struct BusinessHoursTests {
    // Mon-Fri 09:00-17:00 at +02:00.
    let hours = BusinessHours(days: [.mon, .tue, .wed, .thu, .fri], startMinute: 540, endMinute: 1020, utcOffsetSeconds: 7200)

    @Test func localTimeAndWeekday() throws {
        #expect(hours.contains(try #require(RFC3339.parse("2025-01-06T07:00:00Z"))))  // Mon 09:00 local
        #expect(!hours.contains(try #require(RFC3339.parse("2025-01-06T06:59:59Z"))))  // Mon 08:59:59
        #expect(hours.contains(try #require(RFC3339.parse("2025-01-06T14:59:59Z"))))  // Mon 16:59:59
        #expect(!hours.contains(try #require(RFC3339.parse("2025-01-06T15:00:00Z"))))  // Mon 17:00
        #expect(!hours.contains(try #require(RFC3339.parse("2025-01-11T10:00:00Z"))))  // Saturday
        // Friday 23:00 UTC is Saturday 01:00 local.
        #expect(!hours.contains(try #require(RFC3339.parse("2025-01-10T23:00:00Z"))))
        // Sunday 23:30 UTC is Monday 01:30 local: Monday, but before nine.
        #expect(!hours.contains(try #require(RFC3339.parse("2025-01-05T23:30:00Z"))))
        #expect(hours.contains(try #require(RFC3339.parse("1969-12-31T08:00:00Z"))))  // a Wednesday before the epoch
    }
}

@Suite struct SignalStateTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.pack() }

    @Test func anEmptyHistory() {
        let s = SignalState().signals(for: Fixtures.transfer(10), actor: Fixtures.agent, in: pack, now: Fixtures.monday)
        #expect(s.firstTime)
        #expect(s.actorRate1m == 0 && s.actorRate1h == 0)
        #expect(s.amountZScore == 0)
        #expect(s.zscores == ["amount": 0])
        #expect(s.firstSeen == ["to": true])
        #expect(!s.offHours)
    }

    @Test func historyPerActorResourceAndField() {
        var state = SignalState()
        let t = Fixtures.monday.seconds
        for i in 0..<30 {
            let time = Timestamp(seconds: t - 3000 + Int64(i * 100))
            state.countSubmission(actorID: Fixtures.agent.id, at: time)
            state.record(Fixtures.transfer(100 + Double(i % 5), to: "acc-\(i % 3)"), actor: Fixtures.agent, in: pack, at: time)
        }
        let s = state.signals(for: Fixtures.transfer(500, to: "acc-1"), actor: Fixtures.agent, in: pack, now: Timestamp(seconds: t))
        #expect(!s.firstTime)
        #expect(s.amountZScore > 100)
        #expect(s.resourceAmountZScore > 100)
        #expect(s.firstSeen == ["to": false])
        #expect(s.actorRate1h == 30)
        #expect(s.actorRate1m == 0)  // the last was 100 s ago
        // Another actor: first time on this resource, no own history, but the resource's.
        let other = state.signals(for: Fixtures.transfer(500, to: "acc-7"), actor: Fixtures.human, in: pack, now: Timestamp(seconds: t))
        #expect(other.firstTime)
        #expect(other.amountZScore == 0)
        #expect(other.resourceAmountZScore > 100)
        #expect(other.firstSeen == ["to": true])
        #expect(other.actorRate1h == 0)
    }

    @Test func givenSignalsDecideAsDerivedOnesWouldForTrackedFieldsLeftOut() throws {
        // A rule on a known payee: derived signals always say first_seen false for it, so given
        // (neutral) signals, as in a pack test or `policy eval`, must too.
        let pack = try Fixtures.pack(rules: "  - id: known-payee\n    when: \"!signals.first_seen.to\"\n    score: 5\n")
        let engine = PolicyEngine(pack: pack)
        var state = SignalState()
        state.record(Fixtures.transfer(10, to: "acc-1"), actor: Fixtures.agent, in: pack, at: Fixtures.monday)
        let derived = try engine.decide(
            mutation: Fixtures.transfer(10, to: "acc-1"), actor: Fixtures.agent, signals: state, system: SystemState(),
            now: Fixtures.monday)
        let given = try engine.decide(
            mutation: Fixtures.transfer(10, to: "acc-1"), actor: Fixtures.agent, signals: .neutral, system: SystemState(),
            now: Fixtures.monday)
        #expect(derived.matchedRules == ["known-payee"])
        #expect(given.matchedRules == ["known-payee"])
        let explained = try engine.explain(
            mutation: Fixtures.transfer(10, to: "acc-1"), actor: Fixtures.agent, signals: .neutral, system: SystemState(),
            now: Fixtures.monday)
        #expect(explained.decision.matchedRules == ["known-payee"])
    }

    @Test func offHoursFollowsThePack() throws {
        let night = try #require(RFC3339.parse("2025-01-06T20:00:00Z"))
        #expect(SignalState().signals(for: Fixtures.transfer(1), actor: Fixtures.agent, in: pack, now: night).offHours)
        let noHours = try PolicyPack.load(name: "p.yaml", text: "policy: x\nresources:\n  r: { operations: [create] }\n")
        let m = Mutation(resource: "r", operation: .create)
        #expect(!SignalState().signals(for: m, actor: Fixtures.agent, in: noHours, now: night).offHours)
    }

    @Test func pruningForgetsIdleActors() {
        var state = SignalState()
        state.record(Fixtures.transfer(1), actor: Fixtures.agent, in: pack, at: Timestamp(seconds: 1000))
        state.record(Fixtures.transfer(1), actor: Fixtures.human, in: pack, at: Timestamp(seconds: 5000))
        state.pruneActors(idleSince: Timestamp(seconds: 4000))
        #expect(state.actorCount == 1)
        #expect(state.signals(for: Fixtures.transfer(1), actor: Fixtures.agent, in: pack, now: Timestamp(seconds: 5000)).firstTime)
    }

    @Test func signalsJSONRoundTrip() throws {
        let s = Signals(amountZScore: 4.5, zscores: ["amount": 4.5], actorRate1m: 3, firstTime: true, firstSeen: ["to": true], offHours: true)
        #expect(try Signals(jsonValue: s.jsonValue) == s)
        #expect(throws: ValidationFailure.self) { try Signals(jsonValue: try YAMLValue.parse("{amount_zscroe: 1}")) }
    }
}
