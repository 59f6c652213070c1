import AirlockCore
import ArgumentParser
import CEL
import Foundation

/// `airlock bench policy`: full decisions (validation, classification, signals, rules) of the
/// example pack on a stream of varied mutations, with the median and p99 time per decision.
struct BenchPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Time full policy decisions on the example pack (median and p99 per decision).",
        discussion: """
            Builds a history (so z-scores, rates and first-time signals are live), then decides \
            a stream of generated transfers, CRM edits (single and bulk) and catalog updates from \
            twenty actors, timing each decision. Run from a release build.
            """
    )

    @Option(help: "The pack to evaluate.")
    var pack = "examples/policies"

    @Option(help: "Decisions to time.")
    var iterations = 200_000

    @Option(help: "Distinct mutations in the stream.")
    var distinct = 4096

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        let engine = PolicyEngine(pack: loaded)
        var generator = BenchStream(seed: 0x5eed)
        let now = Timestamp(seconds: 1_736_164_800)  // Monday 2025-01-06 12:00 UTC
        var state = SignalState()
        for i in 0..<5_000 {
            let (mutation, actor) = generator.next()
            let time = Timestamp(seconds: now.seconds - 3_600 + Int64(i % 3_600))
            state.countSubmission(actorID: actor.id, at: time)
            state.record(mutation, actor: actor, in: loaded, at: time)
        }
        let stream = (0..<distinct).map { _ in generator.next() }
        let system = SystemState(queueDepth: 12, rollbackRate1h: 0.01)

        var tiers: [Tier: Int] = [:]
        var invalid = 0
        for (mutation, actor) in stream {
            do {
                let decision = try engine.decide(mutation: mutation, actor: actor, signals: state, system: system, now: now)
                tiers[decision.tier, default: 0] += 1
            } catch {
                invalid += 1
            }
        }
        var samples = [UInt64](repeating: 0, count: iterations)
        var sink = 0
        for i in 0..<iterations {
            // The stream's copy is the harness's: released after the clock stops, not while it runs.
            let (mutation, actor) = stream[i % stream.count]
            let start = Self.nanoseconds()
            if let decision = try? engine.decide(mutation: mutation, actor: actor, signals: state, system: system, now: now) {
                sink &+= decision.score
            }
            samples[i] = Self.nanoseconds() - start
            withExtendedLifetime((mutation, actor)) {}
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        let mean = samples.reduce(0, +) / UInt64(samples.count)
        let mix = Tier.allCases.map { "\($0) \(tiers[$0] ?? 0)" }.joined(separator: ", ")
        print("pack: \(loaded.name) (\(loaded.rules.count) rules), version \(loaded.version.prefix(12))")
        print("stream: \(stream.count) distinct mutations (\(mix), invalid \(invalid)); \(iterations) decisions")
        print("per decision: median \(median) ns, p99 \(p99) ns, mean \(mean) ns (checksum \(sink))")
    }

    private static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// A deterministic stream of varied mutations of the example pack's resources.
struct BenchStream {
    private var state: UInt64
    private let actors: [Actor] = (0..<20).map { i in
        let kind: Actor.Kind = i < 12 ? .agent : i < 17 ? .service : .human
        return Actor(id: "\(kind)-\(i)", kind: kind, roles: ["bench"])
    }

    init(seed: UInt64) { state = seed }

    private mutating func random() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var x = state
        x ^= x >> 33
        x = x &* 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        return x
    }

    private mutating func below(_ n: Int) -> Int { Int(random() % UInt64(n)) }
    private mutating func unit() -> Double { Double(random() >> 11) / Double(1 << 53) }

    private mutating func account() -> String {
        let n = below(100)
        if n == 0 { return "acc-000666" }
        if n < 10 { return "acc-10000\(1 + n % 3)" }
        return "acc-\(200_000 + below(60))"
    }

    mutating func next() -> (Mutation, Actor) {
        let actor = actors[below(actors.count)]
        switch below(10) {
        case 0..<4:
            // Log-uniform amounts from 1 to ~50,000.
            let amount = (pow(10, unit() * 4.7) * 100).rounded() / 100
            var changes: [String: Value] = [
                "amount": .double(amount), "currency": .string(["EUR", "USD", "GBP", "CHF"][below(4)]),
                "from_account": .string(account()), "to_account": .string(account()),
            ]
            if below(3) == 0 { changes["memo"] = .string("Invoice \(below(10_000)) — März") }
            return (Mutation(resource: "payments.transfer", operation: .create, changes: changes), actor)
        case 4..<7:
            var changes: [String: Value] = [:]
            if below(2) == 0 { changes["notes"] = .string("Follow-up \(below(1000))") }
            if below(4) == 0 { changes["email"] = .string("user\(below(1000))@example.com") }
            if below(5) == 0 { changes["tier"] = .string(["free", "standard", "premium", "enterprise"][below(4)]) }
            if below(8) == 0 { changes["phone"] = .string("+41 44 \(100 + below(900)) 00 00") }
            if below(40) == 0 { changes["ssn"] = .string("123-45-6789") }
            if changes.isEmpty { changes["notes"] = .string("checked") }
            if below(20) == 0 {
                return (Mutation(resource: "crm.customer", operation: .delete, target: "cus-\(below(5000))", changes: [:]), actor)
            }
            if below(6) == 0 {
                let size = 2 + below(below(4) == 0 ? 150 : 15)
                let targets = (0..<size).map { "cus-\($0 * 7 + below(7))" }
                return (Mutation(resource: "crm.customer", operation: .update, targets: targets, changes: changes), actor)
            }
            let before: [String: Value] = ["tier": .string(["standard", "premium", "enterprise"][below(3)])]
            return (
                Mutation(resource: "crm.customer", operation: .update, target: "cus-\(below(5000))", changes: changes, before: before),
                actor
            )
        default:
            let old = Double(5 + below(200))
            let cost = (old * (0.3 + unit() * 0.6) * 100).rounded() / 100
            var changes: [String: Value] = [:]
            if below(3) != 0 { changes["price"] = .double((old * (0.5 + unit() * 0.8) * 100).rounded() / 100) }
            if below(3) == 0 { changes["stock"] = .int(Int64(below(4) == 0 ? 0 : below(500))) }
            if below(6) == 0 { changes["title"] = .string("Produkt \(below(999)) – édition spéciale") }
            if below(10) == 0 { changes["cost"] = .double(cost) }
            if changes.isEmpty { changes["stock"] = .int(Int64(below(500))) }
            let before: [String: Value] = ["price": .double(old), "cost": .double(cost), "stock": .int(Int64(below(400)))]
            if below(15) == 0 {
                let targets = (0..<(2 + below(40))).map { "sku-\($0 * 3 + below(3))" }
                return (Mutation(resource: "catalog.product", operation: .update, targets: targets, changes: changes), actor)
            }
            return (
                Mutation(resource: "catalog.product", operation: .update, target: "sku-\(below(900))", changes: changes, before: before),
                actor
            )
        }
    }
}
