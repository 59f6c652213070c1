import AirlockCore
import ArgumentParser
import CEL
import Foundation

/// `airlock policy simulate PACK --stream FILE.jsonl [--reviewers POOL=N …] [--review-minutes M] [--json]`.
struct PolicySimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a recorded or synthetic stream of mutations through a pack and report what it would do.",
        discussion: """
            Each line of the stream is a JSON object: {"time": RFC 3339, "actor": {"id", "kind", \
            …}, "mutation": {…}, "label": "benign"|"bad" (optional), "id": text (optional)}, in time \
            order. Every mutation is decided as the gateway would at its time, with the signal \
            history built by the lines before it (low and medium ones count as executed). The \
            report gives the routed tiers per resource; with labels, the catch rate (bad ones held \
            for approval or refused), the automation rate (benign ones that run without waiting) \
            and the bad ones that slipped through; with --reviewers, the reviewers' workload. See \
            docs/simulation.md.
            """
    )

    @Argument(help: "The pack: a YAML file or a directory of YAML files.")
    var pack: String

    @Option(help: "The stream, JSON Lines (- for standard input).")
    var stream: String

    @Option(
        parsing: .upToNextOption,
        help: "Reviewers per pool, as POOL=N (several, or comma-separated); pools not given have none.")
    var reviewers: [String] = []

    @Option(help: "Minutes one reviewer takes for one approval (with --reviewers).")
    var reviewMinutes = 5.0

    @Option(help: "How many slipped bad mutations to list (the JSON lists all).")
    var show = 20

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        let staffing = try Self.staffing(reviewers, pack: loaded)
        guard reviewMinutes.isFinite, reviewMinutes > 0 else {
            throw ValidationError("--review-minutes must be a positive number, not \(reviewMinutes)")
        }
        let forecast = staffing.map { WorkloadForecast(reviewers: $0, reviewMinutes: reviewMinutes) }
        var simulator = Simulator(pack: loaded, workload: forecast)
        do {
            _ = try StreamFile.run(stream, through: &simulator)
        } catch let failure as StreamFile.Failure {
            PolicyIO.printError(failure.description)
            throw ExitCode.failure
        }
        let report = simulator.report
        if json {
            print(report.jsonValue.jsonString(prettyPrinted: true))
        } else {
            print(SimulationText(report: report, stream: stream, show: show).text)
        }
    }

    /// `finance=3 privacy=2` or `finance=3,privacy=2`, checked against the pack's pools.
    static func staffing(_ arguments: [String], pack: PolicyPack) throws -> [String: Int]? {
        guard !arguments.isEmpty else { return nil }
        let known = Set(pack.pools.map(\.name))
        var staffing: [String: Int] = [:]
        for entry in arguments.flatMap({ $0.split(separator: ",") }) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count >= 0 else {
                throw ValidationError("--reviewers: '\(entry)' is not POOL=N (such as finance=3)")
            }
            guard known.contains(parts[0]) else {
                throw ValidationError(
                    "--reviewers: the pack names no pool '\(parts[0])' (its pools: \(known.sorted().joined(separator: ", ")))")
            }
            guard staffing[parts[0]] == nil else { throw ValidationError("--reviewers: '\(parts[0])' is given twice") }
            staffing[parts[0]] = count
        }
        return staffing
    }
}
