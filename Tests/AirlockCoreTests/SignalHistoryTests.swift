import AirlockCore
import CEL
import Foundation
import Testing

/// What the signal history counts (every submission in the rates, executed mutations in the
/// statistics) and how it stays bounded (``SignalState/maxActors``).
@Suite struct SignalHistoryTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.pack() }

    /// Monday 12:00 UTC, the start of a minute (and of an hour bucket).
    static let t = Fixtures.monday.seconds
    static func at(_ offset: Int64) -> Timestamp { Timestamp(seconds: t + offset) }
    static let person = Mutation(resource: "person", operation: .update, target: "p-1", changes: ["level": .int(2)])

    // MARK: What each signal counts

    @Test func executedMutationsDoNotCountInTheRates() {
        var state = SignalState()
        for i in 0..<3 {
            state.record(Fixtures.transfer(10 + Double(i)), actor: Fixtures.agent, in: pack, at: Self.at(-10 + Int64(i)))
        }
        let s = state.signals(for: Fixtures.transfer(12), actor: Fixtures.agent, in: pack, now: Self.at(0))
        // The rates count submissions (countSubmission), and none was counted.
        #expect(s.actorRate1m == 0)
        #expect(s.actorRate1h == 0)
        #expect(!s.firstTime)
        #expect(s.firstSeen == ["to": false])
        #expect(state.actorCount == 1)
    }

    @Test func everySubmissionCountsInTheRatesAndNothingElse() {
        var state = SignalState()
        // Five submissions, none executed (refused, say): two half an hour ago, three in the last minute.
        for offset: Int64 in [-1_800, -1_200, -30, -20, -10] {
            state.countSubmission(actorID: Fixtures.agent.id, at: Self.at(offset))
        }
        let s = state.signals(for: Fixtures.transfer(500), actor: Fixtures.agent, in: pack, now: Self.at(0))
        #expect(s.actorRate1m == 3)
        #expect(s.actorRate1h == 5)
        // Known by its rate only: still a first time on every resource, and no statistics.
        #expect(s.firstTime)
        #expect(s.amountZScore == 0 && s.resourceAmountZScore == 0)
        #expect(s.zscores == ["amount": 0])
        #expect(s.firstSeen == ["to": true])
        #expect(state.signals(for: Self.person, actor: Fixtures.agent, in: pack, now: Self.at(0)).firstTime)
        #expect(state.actorCount == 1)

        // One executed: that resource is known, the other still a first time, the rates unchanged.
        state.record(Fixtures.transfer(10), actor: Fixtures.agent, in: pack, at: Self.at(-10))
        let after = state.signals(for: Fixtures.transfer(500), actor: Fixtures.agent, in: pack, now: Self.at(0))
        #expect(!after.firstTime)
        #expect(after.actorRate1m == 3 && after.actorRate1h == 5)
        #expect(after.firstSeen == ["to": false])
        #expect(state.signals(for: Self.person, actor: Fixtures.agent, in: pack, now: Self.at(0)).firstTime)
    }

    /// A burst of refused attempts is itself a signal: a rule on the rate sees it.
    @Test func aBurstOfRefusedSubmissionsReachesTheRules() throws {
        let pack = try Fixtures.pack(rules: "  - id: burst\n    when: signals.actor_rate_1m >= 20\n    score: 5\n")
        let engine = PolicyEngine(pack: pack)
        var state = SignalState()
        for i in 0..<19 { state.countSubmission(actorID: Fixtures.agent.id, at: Self.at(-30 + Int64(i))) }
        let nineteen = try engine.decide(
            mutation: Fixtures.transfer(10), actor: Fixtures.agent, signals: state, system: SystemState(), now: Self.at(0))
        #expect(nineteen.signals.actorRate1m == 19)
        #expect(nineteen.matchedRules == [])
        state.countSubmission(actorID: Fixtures.agent.id, at: Self.at(0))
        let twenty = try engine.decide(
            mutation: Fixtures.transfer(10), actor: Fixtures.agent, signals: state, system: SystemState(), now: Self.at(0))
        #expect(twenty.signals.actorRate1m == 20)
        #expect(twenty.matchedRules == ["burst"])
    }

    // MARK: Reading what the previous version saved

    /// Written by `SignalState` before submissions were counted apart from executed mutations
    /// (every window full, no `lastActive`), with `Fixtures.pack()`: `ana` updated a person at
    /// t-600; `agent-1` transferred 10 to acc-3 at t-120, 20 to acc-4 at t-30, 30 to acc-3 at t-10.
    static let savedBeforeSubmissionsWereCounted = #"""
{"actors":{"agent-1":{"lastHour":{"bucketSeconds":60,"buckets":[{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":1,"stamp":28936078},{"count":2,"stamp":28936079}]},"lastMinute":{"bucketSeconds":1,"buckets":[{"count":1,"stamp":1736164680},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":1,"stamp":1736164770},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":1,"stamp":1736164790},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808}]},"resources":{"pay":{"amount":{"count":3,"m2":200,"mean":20}}}},"ana":{"lastHour":{"bucketSeconds":60,"buckets":[{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":1,"stamp":28936070},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808}]},"lastMinute":{"bucketSeconds":1,"buckets":[{"count":1,"stamp":1736164200},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808},{"count":0,"stamp":-9223372036854775808}]},"resources":{"person":{"level":{"count":1,"m2":0,"mean":3}}}}},"resources":{"pay":{"fields":{"amount":{"count":3,"m2":200,"mean":20}},"seen":{"to":["acc-3","acc-4"]}},"person":{"fields":{"level":{"count":1,"m2":0,"mean":3}},"seen":{}}}}
"""#

    @Test func decodesAHistorySavedBeforeSubmissionsWereCounted() throws {
        let old = Data(Self.savedBeforeSubmissionsWereCounted.utf8)
        var state = try JSONDecoder().decode(SignalState.self, from: old)
        #expect(state.actorCount == 2)
        #expect(state.maxActors == SignalState.defaultMaxActors)
        let ana = Actor(id: "ana", kind: .human)
        let probes: [(Actor, Mutation)] = [
            (Fixtures.agent, Fixtures.transfer(25, to: "acc-3")), (ana, Fixtures.transfer(25, to: "acc-5")),
            (ana, Self.person),
        ]
        let derived = probes.map { actor, mutation in state.signals(for: mutation, actor: actor, in: pack, now: Self.at(0)) }
        // The old windows counted the recorded mutations: they read back as submissions.
        #expect(derived[0].actorRate1m == 2)  // t-30 and t-10
        #expect(derived[0].actorRate1h == 3)
        #expect(!derived[0].firstTime)
        #expect(derived[0].firstSeen == ["to": false])
        #expect(derived[1].actorRate1m == 0 && derived[1].actorRate1h == 1)
        #expect(derived[1].firstTime)
        #expect(derived[1].firstSeen == ["to": true])
        #expect(!derived[2].firstTime)

        // Saved again (today's form: sparse windows, `lastActive`) and read back: the same signals.
        let saved = try JSONEncoder().encode(state)
        #expect(saved.count < old.count / 4)
        let reread = try JSONDecoder().decode(SignalState.self, from: saved)
        let rederived = probes.map { actor, mutation in reread.signals(for: mutation, actor: actor, in: pack, now: Self.at(0)) }
        #expect(rederived == derived)

        // The last activity is derived from the old windows: ana (t-600) is evicted before agent-1
        // (t-10) when a third actor needs room.
        state.maxActors = 2
        state.countSubmission(actorID: "carl", at: Self.at(0))
        #expect(state.actorCount == 2)
        #expect(!state.signals(for: Fixtures.transfer(25), actor: Fixtures.agent, in: pack, now: Self.at(0)).firstTime)
        let forgotten = state.signals(for: Self.person, actor: ana, in: pack, now: Self.at(0))
        #expect(forgotten.firstTime)
        #expect(forgotten.actorRate1h == 0)
    }

    @Test func activityIsSavedWithTheHistoryButNotTheBound() throws {
        var state = SignalState()
        state.maxActors = 50
        // Known by its statistics only (no rate to derive an activity from), and more recent.
        state.record(Fixtures.transfer(10), actor: Fixtures.agent, in: pack, at: Self.at(10))
        state.countSubmission(actorID: Fixtures.human.id, at: Self.at(0))
        var decoded = try JSONDecoder().decode(SignalState.self, from: try JSONEncoder().encode(state))
        // The bound is the keeper's setting, not history.
        #expect(decoded.maxActors == SignalState.defaultMaxActors)
        decoded.maxActors = 2
        decoded.countSubmission(actorID: "carl", at: Self.at(20))
        #expect(decoded.actorCount == 2)
        #expect(!decoded.signals(for: Fixtures.transfer(10), actor: Fixtures.agent, in: pack, now: Self.at(20)).firstTime)
        let forgotten = decoded.signals(for: Fixtures.transfer(10), actor: Fixtures.human, in: pack, now: Self.at(20))
        #expect(forgotten.actorRate1m == 0)
    }

    // MARK: The bound on actors

    @Test func theBoundKeepsTheMostRecentActors() throws {
        var state = SignalState()
        #expect(state.maxActors == 10_000)
        let n = 100_000
        let start = Self.t - Int64(n)
        let mutation = Fixtures.transfer(10)
        var largest = 0
        for i in 0..<n {
            let time = Timestamp(seconds: start + Int64(i))
            let actor = Actor(id: "actor-\(i)", kind: .agent)
            state.countSubmission(actorID: actor.id, at: time)
            largest = max(largest, state.actorCount)
            state.record(mutation, actor: actor, in: pack, at: time)
            largest = max(largest, state.actorCount)
        }
        #expect(largest <= SignalState.defaultMaxActors)
        // Eviction goes down to 90% of the bound, so at least that many are kept.
        #expect(state.actorCount >= 9_000 && state.actorCount <= 10_000)

        let now = Timestamp(seconds: start + Int64(n - 1))
        func signals(_ i: Int) -> Signals {
            state.signals(for: mutation, actor: Actor(id: "actor-\(i)", kind: .agent), in: pack, now: now)
        }
        // The most recent are the ones kept; the 10,001st most recent and older are forgotten.
        #expect((n - 9_000..<n).filter { signals($0).firstTime }.isEmpty)
        for i in [0, 50_000, n - 10_001] {
            #expect(signals(i).firstTime, "actor-\(i)")
            #expect(signals(i).actorRate1h == 0, "actor-\(i)")
        }
        // The newest counted its one submission, and its executed mutation added no second.
        #expect(signals(n - 1).actorRate1m == 1)
        #expect(signals(n - 1).actorRate1h == 1)

        let saved = try JSONEncoder().encode(state)
        #expect(saved.count < 4_000_000, "\(saved.count) bytes")
        #expect(try JSONDecoder().decode(SignalState.self, from: saved).actorCount == state.actorCount)
    }

    @Test func actorsWhoseHistoryNoLongerMattersGoFirst() {
        var state = SignalState()
        state.maxActors = 10
        // Five with an executed mutation (statistics matter for ever), five more recent ones with
        // a submission only (which matters for an hour).
        for k in 0..<5 {
            state.record(Fixtures.transfer(10), actor: Actor(id: "kept-\(k)", kind: .agent), in: pack, at: Self.at(0))
            state.countSubmission(actorID: "rate-\(k)", at: Self.at(100))
        }
        #expect(state.actorCount == 10)
        // Over an hour later a new actor needs room: the five spent ones go, nobody else.
        state.countSubmission(actorID: "new", at: Self.at(100 + 3_660))
        #expect(state.actorCount == 6)
        for k in 0..<5 {
            let kept = Actor(id: "kept-\(k)", kind: .agent)
            #expect(!state.signals(for: Fixtures.transfer(10), actor: kept, in: pack, now: Self.at(3_760)).firstTime)
        }
    }

    @Test func anEvictedActorReadsAsNew() {
        var state = SignalState()
        state.maxActors = 2
        for i in 0..<25 {
            state.countSubmission(actorID: Fixtures.agent.id, at: Self.at(-100 + Int64(i)))
            let amount = 10 + Double(i % 3)
            state.record(Fixtures.transfer(amount), actor: Fixtures.agent, in: pack, at: Self.at(-100 + Int64(i)))
        }
        state.countSubmission(actorID: Fixtures.human.id, at: Self.at(1))
        state.record(Fixtures.transfer(10), actor: Fixtures.human, in: pack, at: Self.at(1))
        let before = state.signals(for: Fixtures.transfer(500), actor: Fixtures.agent, in: pack, now: Self.at(2))
        #expect(before.amountZScore > 100)
        #expect(!before.firstTime)
        #expect(before.actorRate1h == 25)

        // A third actor: the least recently active (agent-1, last at t-76) is evicted.
        state.countSubmission(actorID: "third", at: Self.at(2))
        #expect(state.actorCount == 2)
        let after = state.signals(for: Fixtures.transfer(500), actor: Fixtures.agent, in: pack, now: Self.at(3))
        #expect(after.firstTime)
        #expect(after.amountZScore == 0)
        #expect(after.actorRate1m == 0 && after.actorRate1h == 0)
        #expect(!state.signals(for: Fixtures.transfer(500), actor: Fixtures.human, in: pack, now: Self.at(3)).firstTime)

        // It comes back (evicting ana, now the least recently active): its rates restart.
        state.countSubmission(actorID: Fixtures.agent.id, at: Self.at(3))
        #expect(state.actorCount == 2)
        let back = state.signals(for: Fixtures.transfer(500), actor: Fixtures.agent, in: pack, now: Self.at(4))
        #expect(back.actorRate1m == 1 && back.actorRate1h == 1)
        #expect(back.firstTime)
        #expect(state.signals(for: Fixtures.transfer(500), actor: Fixtures.human, in: pack, now: Self.at(4)).firstTime)
    }

    @Test func loweringTheBoundEvictsAtOnce() {
        var state = SignalState()
        for i in 0..<10 {
            state.countSubmission(actorID: "a-\(i)", at: Self.at(Int64(i)))
            state.record(Fixtures.transfer(10), actor: Actor(id: "a-\(i)", kind: .agent), in: pack, at: Self.at(Int64(i)))
        }
        state.maxActors = 5
        #expect(state.actorCount == 5)
        func known(_ i: Int) -> Bool {
            let actor = Actor(id: "a-\(i)", kind: .agent)
            return !state.signals(for: Fixtures.transfer(10), actor: actor, in: pack, now: Self.at(10)).firstTime
        }
        #expect((0..<10).filter(known) == [5, 6, 7, 8, 9])
        state.countSubmission(actorID: "a-10", at: Self.at(10))
        #expect(state.actorCount <= 5)
    }
}
