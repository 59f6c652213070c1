import AirlockCore
import CEL
import Foundation
import Testing

/// Merging histories (instances sharing a database): merging what two instances saw gives the
/// history one instance seeing everything would have.
@Suite struct SignalMergeTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.pack() }

    static let t = Fixtures.monday.seconds
    static func at(_ offset: Int64) -> Timestamp { Timestamp(seconds: t + offset) }

    @Test func statisticsMergeAsIfAddedToOne() {
        let values: [Double] = (1...60).map { Double($0 * $0 % 41) + 0.25 }
        var all = RunningStats()
        for v in values { all.add(v) }
        var left = RunningStats()
        var right = RunningStats()
        for (i, v) in values.enumerated() { if i % 3 == 0 { left.add(v) } else { right.add(v) } }
        left.merge(right)
        #expect(left.count == all.count)
        #expect(abs(left.mean - all.mean) < 1e-9)
        #expect(abs(left.variance - all.variance) < 1e-9)
        var empty = RunningStats()
        empty.merge(all)
        #expect(empty == all)
        all.merge(RunningStats())
        #expect(all.count == 60)
    }

    @Test func rateWindowsAddPerBucket() {
        var one = RateWindow.minute()
        var a = RateWindow.minute()
        var b = RateWindow.minute()
        for s in [0, 1, 1, 5, 30, 59, 70] as [Int64] {
            one.record(at: Self.t + s)
            if s % 2 == 0 { a.record(at: Self.t + s) } else { b.record(at: Self.t + s) }
        }
        a.merge(b)
        for probe in [0, 30, 59, 60, 70, 100, 140] as [Int64] {
            #expect(a.count(at: Self.t + probe) == one.count(at: Self.t + probe), "at +\(probe) s")
        }
    }

    @Test func twoInstancesMergedDeriveTheSignalsOfOne() {
        var one = SignalState()
        var first = SignalState()
        var second = SignalState()
        let other = Actor(id: "agent-2", kind: .agent)
        for i in 0..<30 {
            let time = Self.at(Int64(i))
            let actor = i % 4 == 0 ? other : Fixtures.agent
            let mutation = Fixtures.transfer(100 + Double(i % 7), to: "acc-\(i % 5)")
            one.countSubmission(actorID: actor.id, at: time)
            one.record(mutation, actor: actor, in: pack, at: time)
            if i % 2 == 0 {
                first.countSubmission(actorID: actor.id, at: time)
                first.record(mutation, actor: actor, in: pack, at: time)
            } else {
                second.countSubmission(actorID: actor.id, at: time)
                second.record(mutation, actor: actor, in: pack, at: time)
            }
        }
        var merged = first
        merged.merge(second)
        for (actor, to) in [(Fixtures.agent, "acc-3"), (other, "acc-9"), (Actor(id: "new", kind: .agent), "acc-1")] {
            let expected = one.signals(for: Fixtures.transfer(500, to: to), actor: actor, in: pack, now: Self.at(31))
            let got = merged.signals(for: Fixtures.transfer(500, to: to), actor: actor, in: pack, now: Self.at(31))
            #expect(got.actorRate1m == expected.actorRate1m && got.actorRate1h == expected.actorRate1h, "\(actor.id)")
            #expect(got.firstTime == expected.firstTime && got.firstSeen == expected.firstSeen, "\(actor.id)")
            #expect(abs(got.amountZScore - expected.amountZScore) < 1e-9, "\(actor.id): \(got.amountZScore) vs \(expected.amountZScore)")
            if actor.id == Fixtures.agent.id { #expect(expected.amountZScore != 0 && expected.resourceAmountZScore != 0, "enough history to score") }
            #expect(abs(got.resourceAmountZScore - expected.resourceAmountZScore) < 1e-9, "\(actor.id)")
        }
        #expect(SignalState().isEmpty && !merged.isEmpty)
    }
}
