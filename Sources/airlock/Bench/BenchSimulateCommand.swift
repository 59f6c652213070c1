import AirlockCore
import ArgumentParser
import CEL
import Foundation

/// `airlock bench simulate`: `policy simulate` on a generated, labelled stream of the example
/// pack, in mutations per second: the whole run (reading the file, parsing, simulating), and the
/// parsing and the simulating apart.
struct BenchSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Time `policy simulate` on a generated stream (mutations per second).",
        discussion: """
            Writes a stream of generated transfers, CRM edits and catalog updates from twenty \
            actors (one every 0.4 s, so about four and a half days; every 50th labelled bad) to a \
            temporary file, then simulates it under the pack with every pool staffed, several \
            times: pipelined (one thread reads and parses while another simulates, as `policy \
            simulate` runs) and sequential (one thread, parsing and simulating timed apart). \
            Reports the median of the runs. With --stream, times that file instead (the mix of \
            tiers changes the cost: a decision that matches more rules renders more reasons). Run \
            from a release build.
            """
    )

    @Option(help: "The pack to simulate.")
    var pack = "examples/policies"

    @Option(help: "Mutations in the stream.")
    var mutations = 1_000_000

    @Option(help: "Runs of each kind; the median is reported.")
    var runs = 5

    @Option(help: "Keep the generated stream at this path instead of a temporary file.")
    var keep: String?

    @Option(help: "Time this stream instead of a generated one.")
    var stream: String?

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        let generated = stream == nil
        let path =
            stream ?? keep
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("airlock-bench-simulate-\(getpid()).jsonl").path
        let bytes: Int
        if generated {
            bytes = try Self.writeStream(to: path, mutations: mutations)
        } else {
            bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        defer { if generated && keep == nil { try? FileManager.default.removeItem(atPath: path) } }
        let staffing = Dictionary(loaded.pools.map { ($0.name, 3) }, uniquingKeysWith: { a, _ in a })
        print(
            "pack: \(loaded.name) (\(loaded.rules.count) rules); stream: \(generated ? "generated, \(SimulationText.number(mutations)) mutations" : path), \(bytes / 1_000_000) MB"
        )
        var expected = generated ? mutations : nil

        var whole: [Double] = []
        var sequential: [Double] = []
        var parsing: [Double] = []
        var simulating: [Double] = []
        var report: SimulationReport?
        for _ in 0..<max(1, runs) {
            for pipelined in [true, false] {
                var simulator = Simulator(
                    pack: loaded, workload: WorkloadForecast(reviewers: staffing, reviewMinutes: 4))
                let run = try StreamFile.run(path, through: &simulator, pipelined: pipelined)
                guard run.records == expected ?? run.records else {
                    throw ValidationError("read \(run.records) records, expected \(expected ?? 0)")
                }
                expected = run.records
                let rate = Double(run.records) / run.seconds
                if pipelined {
                    whole.append(rate)
                } else {
                    sequential.append(rate)
                    parsing.append(Double(run.records) / run.parseSeconds)
                    simulating.append(Double(run.records) / run.simulateSeconds)
                }
                report = simulator.report
            }
        }
        if let report {
            let t = report.total
            print(
                "tiers: low \(t.low), medium \(t.medium), high \(t.high), block \(t.block), invalid \(t.invalid); catch rate \(report.catchRate.map(SimulationText.percent) ?? "-"), automation rate \(report.automationRate.map(SimulationText.percent) ?? "-"); \(report.workload?.reviews ?? 0) reviews"
            )
        }
        func line(_ name: String, _ rates: [Double]) {
            let sorted = rates.sorted()
            let list = rates.map { SimulationText.number(Int($0.rounded())) }.joined(separator: " / ")
            print("\(name): median \(SimulationText.number(Int(sorted[sorted.count / 2].rounded()))) mutations/s  (\(list))")
        }
        line("whole run, pipelined (policy simulate)", whole)
        line("whole run, one thread               ", sequential)
        line("  parsing alone (read + JSON)       ", parsing)
        line("  simulating alone                  ", simulating)
    }

    /// Writes the generated stream; returns its size in bytes.
    static func writeStream(to path: String, mutations: Int) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write \(path)")
        }
        defer { try? file.close() }
        var generator = BenchStream(seed: 0x51_3a7e)
        let start = Timestamp(seconds: 1_736_121_600)  // Monday 2025-01-06 00:00 UTC
        var text = ""
        var bytes = 0
        text.reserveCapacity(1 << 21)
        for i in 0..<mutations {
            let (mutation, actor) = generator.next()
            let millis = Int64(i) * 400
            let time = Timestamp(seconds: start.seconds + millis / 1000, nanos: Int32(millis % 1000) * 1_000_000)
            var line = CELMap()
            line["time"] = .string(RFC3339.format(time))
            line["actor"] = actor.jsonValue
            line["mutation"] = mutation.jsonValue
            line["label"] = .string(i % 50 == 49 ? "bad" : "benign")
            text += Value.map(line).jsonString()
            text += "\n"
            if text.utf8.count >= 1 << 20 || i == mutations - 1 {
                bytes += text.utf8.count
                file.write(Data(text.utf8))
                text.removeAll(keepingCapacity: true)
            }
        }
        return bytes
    }
}
