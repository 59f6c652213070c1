import AirlockTestSupport
import Foundation
import Testing

/// `airlock policy simulate` on the example stream: the report agrees with the stream it read.
@Suite("airlock policy simulate")
struct PolicySimulateTests {
    static let pack = CommandRunner.packageRoot.appendingPathComponent("examples/policies").path
    static let stream = CommandRunner.packageRoot.appendingPathComponent("examples/streams/sample.jsonl")
    static let staffing = ["finance=2", "ops-leads=2", "ops-reviewers=2", "privacy=1", "pricing=1", "support-leads=1"]

    /// The example stream's lines, parsed here independently of the command.
    static func lines() throws -> [JSON] {
        let text = try String(contentsOf: stream, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { JSON(text: String($0)) }
    }

    /// An RFC 3339 time with or without a fraction.
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    @Test("the example stream: every line counted, labels and rates consistent, slipped lines are bad ones")
    func exampleStream() async throws {
        let outcome = try await CommandRunner.airlock(
            ["policy", "simulate", Self.pack, "--stream", Self.stream.path, "--json", "--review-minutes", "4", "--reviewers"]
                + Self.staffing)
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        let report = JSON(text: outcome.output)
        let lines = try Self.lines()
        let records = lines.filter(\.exists)
        let bad = records.filter { $0["label"].string == "bad" }
        let benign = records.filter { $0["label"].string == "benign" }

        #expect(report["mutations"].int == records.count)
        #expect(report["tiers"]["total"].int == records.count)
        let perResource = report["resources"].keys.compactMap { report["resources"][$0]["total"].int }
        #expect(perResource.reduce(0, +) == records.count)
        #expect(report["labels"]["bad"]["total"].int == bad.count)
        #expect(report["labels"]["benign"]["total"].int == benign.count)
        #expect(report["actors"].int == Set(records.compactMap { $0["actor"]["id"].string }).count)
        #expect(Self.date(report["from"].string) == Self.date(records.first?["time"].string))
        #expect(Self.date(report["to"].string) == Self.date(records.last?["time"].string))
        #expect(Self.date(report["from"].string) != nil)

        let badTiers = report["labels"]["bad"]
        let caught = ["high", "block", "invalid"].compactMap { badTiers[$0].int }.reduce(0, +)
        // (Foundation's JSON reader can be a unit in the last place off.)
        #expect(abs((report["catch_rate"].double ?? -1) - Double(caught) / Double(bad.count)) < 1e-12)
        let benignTiers = report["labels"]["benign"]
        let ran = ["low", "medium"].compactMap { benignTiers[$0].int }.reduce(0, +)
        #expect(abs((report["automation_rate"].double ?? -1) - Double(ran) / Double(benign.count)) < 1e-12)
        // The sample is there to show both: some bad ones caught, some slipping through.
        #expect(caught > 0 && caught < bad.count)

        let slipped = report["slipped"].array
        #expect(slipped.count == bad.count - caught)
        for slip in slipped {
            let number = try #require(slip["line"].int)
            let line = lines[number - 1]
            #expect(line["label"].string == "bad", "line \(number)")
            #expect(line["id"].string == slip["id"].string)
            #expect(line["actor"]["id"].string == slip["actor"].string)
            #expect(["low", "medium"].contains(slip["tier"].string ?? ""))
            // Frozen accounts and social security numbers are always blocked.
            #expect(!(slip["id"].string ?? "").hasPrefix("frozen-"))
            #expect(!(slip["id"].string ?? "").hasPrefix("agent-ssn-"))
        }

        let pools = report["workload"]["pools"].array
        for entry in Self.staffing {
            let parts = entry.split(separator: "=")
            let pool = pools.first { $0["pool"].string == String(parts[0]) }
            #expect(pool?["reviewers"].int == Int(parts[1]), "\(entry)")
        }
        let approvals = pools.compactMap { $0["approvals"].int }.reduce(0, +)
        #expect(report["workload"]["reviews"].int ?? 0 > 0)
        #expect(approvals >= report["workload"]["reviews"].int ?? .max)
        #expect(report["workload"]["review_minutes"].double == 4)
    }

    @Test("the text report shows tiers, rates, slipped lines and the workload")
    func textReport() async throws {
        let outcome = try await CommandRunner.airlock(
            ["policy", "simulate", Self.pack, "--stream", Self.stream.path, "--show", "3", "--reviewers", "finance=1,privacy=1"])
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        for part in ["RESOURCE", "payments.transfer", "catch rate", "automation rate", "Bad mutations that would run",
            "Reviewer workload (5 min per approval", "finance"]
        {
            #expect(outcome.output.contains(part), "\(part) in\n\(outcome.output)")
        }
        // A pool reviews asked for but not staffed has nobody.
        let opsLeads = outcome.output.split(separator: "\n").first { $0.hasPrefix("  ops-leads ") }
        #expect(opsLeads?.split(separator: " ").dropFirst().first == "none", "\(outcome.output)")
        #expect(outcome.output.contains("more (--show N, or --json for all)"))
    }

    @Test("a line out of order, or a bad line, refuses the stream with its number")
    func badStreams() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lines = try String(contentsOf: Self.stream, encoding: .utf8).split(separator: "\n").prefix(3).map(String.init)
        let swapped = directory.url.appendingPathComponent("swapped.jsonl")
        try [lines[0], lines[2], lines[1]].joined(separator: "\n").write(to: swapped, atomically: true, encoding: .utf8)
        let outOfOrder = try await CommandRunner.airlock(["policy", "simulate", Self.pack, "--stream", swapped.path])
        #expect(outOfOrder.status != 0)
        #expect(outOfOrder.errorOutput.contains("\(swapped.path): line 3: time:"), "\(outOfOrder.errorOutput)")
        #expect(outOfOrder.errorOutput.contains("a stream must be in time order"))

        let broken = directory.url.appendingPathComponent("broken.jsonl")
        try [lines[0], lines[1].replacingOccurrences(of: "\"label\":", with: "\"lable\":")].joined(separator: "\n")
            .write(to: broken, atomically: true, encoding: .utf8)
        let typo = try await CommandRunner.airlock(["policy", "simulate", Self.pack, "--stream", broken.path])
        #expect(typo.status != 0)
        #expect(typo.errorOutput.contains("line 2: lable: unknown key in a stream line; did you mean 'label'?"), "\(typo.errorOutput)")
    }

    @Test("a pool the pack does not name is refused")
    func unknownPool() async throws {
        let outcome = try await CommandRunner.airlock(
            ["policy", "simulate", Self.pack, "--stream", Self.stream.path, "--reviewers", "finanse=2"])
        #expect(outcome.status != 0)
        #expect(outcome.errorOutput.contains("the pack names no pool 'finanse'"), "\(outcome.errorOutput)")
    }
}
