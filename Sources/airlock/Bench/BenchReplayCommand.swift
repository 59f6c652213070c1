import AirlockCore
import ArgumentParser
import CEL
import Foundation

/// `airlock bench replay`: recorded decisions read back and decided again under a candidate, as
/// `airlock policy replay` does after reading the audit log.
struct BenchReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Time replay: recorded decisions read back from their audit payloads and decided again.",
        discussion: """
            Decides a generated stream under the pack and records each decision as the gateway's \
            `decided` audit record keeps it (the decision with its inputs, beside the submitted \
            mutation document). Then times, per round, reading every pair of payloads back and \
            deciding them again under the same pack (a candidate that changes nothing costs the \
            same), each case decided as soon as it is read, as `airlock policy replay` does; and, \
            apart, deciding cases read beforehand. Prints the median of the rounds in decisions per \
            second, reading included and not, on one task and on --tasks concurrent tasks (as \
            `airlock policy replay` runs, one per core). Reading the records out of SQLite is not \
            included (the command prints its own figure for that). Run from a release build.
            """
    )

    @Option(help: "The pack to record under and replay.")
    var pack = "examples/policies"

    @Option(help: "Decisions per round.")
    var decisions = 200_000

    @Option(help: "Rounds (the median is reported).")
    var rounds = 5

    @Option(help: "Concurrent tasks of the second measurement (default: one per core).")
    var tasks = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        let loaded = try PolicyIO.loadPack(pack)
        let engine = PolicyEngine(pack: loaded)
        var generator = BenchStream(seed: 0x5eed)
        let now = Timestamp(seconds: 1_736_164_800)
        var state = SignalState()
        let system = SystemState(queueDepth: 12, rollbackRate1h: 0.01)
        var payloads: [(String, String)] = []
        payloads.reserveCapacity(decisions)
        while payloads.count < decisions {
            let (mutation, actor) = generator.next()
            let time = Timestamp(seconds: now.seconds + Int64(payloads.count / 100))
            state.countSubmission(actorID: actor.id, at: time)
            guard let decision = try? engine.decide(mutation: mutation, actor: actor, signals: state, system: system, now: time)
            else { continue }
            if decision.routedTier <= .medium { state.record(mutation, actor: actor, in: loaded, at: time) }
            let recorded = DecisionInputs(actor: actor, system: system, before: mutation.before, decisionMicroseconds: 40)
                .recorded(with: decision)
            payloads.append((CanonicalJSON.encode(mutation.jsonValue), CanonicalJSON.encode(recorded)))
        }
        let records = payloads.enumerated().map { index, pair in
            RecordedCase.Payloads(mutationID: "m-\(index)", submitted: pair.0, decided: pair.1)
        }
        print("pack: \(loaded.name), \(payloads.count) recorded decisions, \(rounds) rounds")
        for tasks in Set([1, tasks]).sorted() {
            var total: [Double] = []
            var decideOnly: [Double] = []
            var changed = 0
            for _ in 0..<rounds {
                // As `policy replay` runs: each case read back and decided at once.
                let start = DispatchTime.now().uptimeNanoseconds
                let (streamed, unreadable) = await Replay.run(records, candidate: engine, tasks: tasks)
                let done = DispatchTime.now().uptimeNanoseconds
                precondition(unreadable.isEmpty && streamed.replayed == payloads.count, "every recorded decision replays")
                total.append(Double(payloads.count) / (Double(done - start) / 1e9))
                // Deciding alone: the cases read first, untimed.
                let cases = await RecordedCase.read(records, tasks: tasks).compactMap { try? $0.get() }
                let read = DispatchTime.now().uptimeNanoseconds
                let report = await Replay.run(cases, candidate: engine, tasks: tasks)
                let decided = DispatchTime.now().uptimeNanoseconds
                precondition(report.replayed == payloads.count && report.changed == streamed.changed, "both ways agree")
                changed = report.changed
                decideOnly.append(Double(payloads.count) / (Double(decided - read) / 1e9))
            }
            total.sort()
            decideOnly.sort()
            print("\(tasks) task\(tasks == 1 ? "" : "s"): \(changed) changed tier on replay")
            print(String(format: "  replay, payloads read included: median %.0f decisions/s", total[total.count / 2]))
            print(String(format: "  decided again only:             median %.0f decisions/s", decideOnly[decideOnly.count / 2]))
        }
    }
}
