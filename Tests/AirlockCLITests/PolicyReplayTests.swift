import AirlockTestSupport
import Foundation
import Testing

/// `airlock policy replay` against a history made through the real server: transfers decided by
/// the example pack, one rejected and one approved by reviewers, then decided again from the audit
/// log under a candidate that raises the transfer thresholds.
@Suite(.timeLimit(.minutes(3)), .sharedResources)
struct PolicyReplayTests {
    typealias CLI = CLIClientTests.CLI
    typealias Key = CLIClientTests.Key

    static func transfer(_ amount: Int) -> [String] {
        [
            "submit", "--json", "--resource", "payments.transfer", "--operation", "create", "--set", "amount=\(amount)",
            "--set", "currency=USD", "--set", "from_account=acc-100200", "--set", "to_account=acc-100001",
        ]
    }

    /// The example pack with the review thresholds of transfers raised: 25,000 no longer waits.
    static func relaxedPack(in directory: URL) throws -> String {
        let examples = CommandRunner.packageRoot.appendingPathComponent("examples/policies")
        let pack = directory.appendingPathComponent("candidate")
        try FileManager.default.copyItem(at: examples, to: pack)
        let payments = pack.appendingPathComponent("payments.yaml")
        var text = try String(contentsOf: payments, encoding: .utf8)
        for (old, new) in [
            ("mutation.changes.amount >= 10000.0", "mutation.changes.amount >= 50000.0"),
            ("mutation.changes.amount >= 1000.0", "mutation.changes.amount >= 30000.0"),
        ] {
            try #require(text.contains(old), "the example pack no longer has '\(old)'")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(to: payments, atomically: true, encoding: .utf8)
        return pack.path
    }

    @Test("the confusion table, the rules behind the changes, and the rejection the candidate would miss")
    func replaysTheRecordedHistory() async throws {
        try await CLIClientTests.Server.with(executors: true) { url, state in
            let rejected = try await CLI.run(Self.transfer(25_000), url: url, key: Key.agent)
            let rejectedID = try #require(rejected.json?["id"] as? String, "\(rejected)")
            #expect(rejected.json?["tier"] as? String == "high", "\(rejected)")
            let reject = try await CLI.run(["review", "reject", rejectedID, "--note", "not this one"], url: url, key: Key.alice)
            #expect(reject.status == 0, "\(reject)")

            let approved = try await CLI.run(Self.transfer(26_000), url: url, key: Key.agent)
            let approvedID = try #require(approved.json?["id"] as? String, "\(approved)")
            for key in [Key.alice, Key.bob] {
                let vote = try await CLI.run(["review", "approve", approvedID], url: url, key: key)
                #expect(vote.status == 0, "\(vote)")
            }
            let small = try await CLI.run(Self.transfer(50), url: url, key: Key.agent)
            #expect(small.json?["tier"] as? String == "low", "\(small)")
            let smallID = try #require(small.json?["id"] as? String, "\(small)")

            let directory = URL(fileURLWithPath: state)
            let candidate = try Self.relaxedPack(in: directory)
            let since = "2026-01-06T00:00:00Z"  // the test server's clock stands at 10:00 that day
            let replay = try await CLI.run(
                ["policy", "replay", candidate, "--since", since, "--state-dir", state, "--json"], url: url, key: nil)
            #expect(replay.status == 1, "a missed rejection exits 1: \(replay)")
            let report = try #require(replay.json, "\(replay)")
            #expect(report["replayed"] as? Int == 3, "\(replay)")
            #expect(report["changed"] as? Int == 2, "\(replay)")
            let confusion = try #require(report["confusion"] as? [String: [String: Int]], "\(replay)")
            #expect(confusion["high"]?["low"] == 2, "\(confusion)")
            #expect(confusion["low"]?["low"] == 1, "\(confusion)")
            let rules = try #require(report["rules"] as? [String: [String: Int]], "\(replay)")
            #expect(rules["large-transfer"]?["no_longer_matched"] == 2, "\(rules)")
            #expect(rules["transfer-review"]?["no_longer_matched"] == 2, "\(rules)")
            let missed = try #require(report["missed_rejections"] as? [[String: Any]], "\(replay)")
            #expect(missed.map { $0["mutation"] as? String } == [rejectedID], "only the rejected transfer: \(missed)")

            let text = try await CLI.run(["policy", "replay", candidate, "--since", since, "--state-dir", state], url: url, key: nil)
            #expect(text.stdout.contains("replayed 3 decisions (since \(since))"), "\(text)")
            #expect(text.stdout.contains("rejected by a person but let through by the candidate: 1"), "\(text)")
            #expect(text.stdout.contains("\(rejectedID) payments.transfer: high → low"), "\(text)")
            // --list bounds the other changes only: a missed rejection is always listed.
            let none = try await CLI.run(
                ["policy", "replay", candidate, "--since", since, "--state-dir", state, "--list", "0"], url: url, key: nil)
            #expect(none.stdout.contains("\(rejectedID) payments.transfer: high → low"), "\(none)")
            #expect(!none.stdout.contains("\(approvedID) payments.transfer"), "\(none)")

            // The same history as KPIs: alice rejected one and approved one, bob approved one.
            let kpi = try await CLI.run(["kpi", "--since", since, "--state-dir", state], url: url, key: nil)
            #expect(kpi.status == 0, "\(kpi)")
            #expect(kpi.stdout.contains("KPIs (since \(since)): 3 decisions"), "\(kpi)")
            #expect(kpi.stdout.contains("low 1, medium 0, high 2, block 0"), "\(kpi)")
            #expect(kpi.stdout.contains("automated approval rate         33.3%"), "\(kpi)")
            #expect(kpi.stdout.contains("escalation rate                 0.0% of 2 reviews"), "\(kpi)")
            let lines = kpi.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(lines.contains("alice 2 50.0% 0 s"), "\(kpi)")
            #expect(lines.contains("bob 1 100.0% 0 s"), "\(kpi)")
            #expect(lines.contains { $0.hasPrefix("finance 3 66.7%") && $0.hasSuffix(" 2") }, "\(kpi)")

            // The pack that decided them changes nothing.
            let same = try await CLI.run(
                ["policy", "replay", CommandRunner.packageRoot.appendingPathComponent("examples/policies").path, "--since", since,
                 "--state-dir", state, "--json"], url: url, key: nil)
            #expect(same.status == 0, "\(same)")
            #expect(same.json?["changed"] as? Int == 0, "\(same)")
            #expect(same.json?["replayed"] as? Int == 3, "\(same)")

            // Insights: large-transfer named the tier of both reviews (one approved, one
            // rejected); the small transfer ran unreviewed and is rolled back.
            let ran = try await CLI.run(["status", smallID, "--wait", "--json"], url: url, key: Key.agent)
            #expect(ran.json?["status"] as? String == "executed", "\(ran)")
            let rollback = try await CLI.run(["rollback", smallID, "--note", "wrong payee", "--force"], url: url, key: Key.root)
            #expect(rollback.status == 0, "\(rollback)")
            let insights = try await CLI.run(
                ["policy", "insights", "--since", since, "--state-dir", state, "--min-reviews", "2", "--relax-at", "0.5", "--json"],
                url: url, key: nil)
            #expect(insights.status == 0, "\(insights)")
            let rows = try #require(insights.json?["rules"] as? [[String: Any]], "\(insights)")
            let byPath = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["path"] as? String).map { ($0, row) } })
            let large = try #require(byPath["large-transfer"], "\(rows)")
            #expect(large["reviews"] as? Int == 2 && large["approved"] as? Int == 1 && large["rejected"] as? Int == 1, "\(large)")
            #expect(large["suggestions"] as? [String] == ["relax"], "50% approved meets --relax-at 0.5: \(large)")
            #expect((byPath["transfer-review"]?["reviews"] as? Int) == 0, "it matched, but large-transfer named the tier: \(rows)")
            let tightened = rows.filter { ($0["suggestions"] as? [String])?.contains("tighten") == true }
            #expect(tightened.count >= 1 && tightened.allSatisfy { $0["low_rolled_back"] as? Int == 1 }, "\(rows)")
            let insightsText = try await CLI.run(
                ["policy", "insights", "--since", since, "--state-dir", state, "--min-reviews", "2", "--relax-at", "0.5"], url: url, key: nil)
            #expect(insightsText.stdout.contains("insights (since \(since)): 3 decisions"), "\(insightsText)")
            #expect(
                insightsText.stdout.contains("candidate to relax: large-transfer: 50.0% of 2 reviews approved, none rolled back"),
                "\(insightsText)")
            #expect(insightsText.stdout.contains("candidate to tighten: "), "\(insightsText)")
            // By default two reviews are too few to suggest relaxing anything.
            let plain = try await CLI.run(["policy", "insights", "--since", since, "--state-dir", state], url: url, key: nil)
            #expect(!plain.stdout.contains("candidate to relax"), "\(plain)")
        }
    }

    @Test("a bad --since and a missing store are clear errors")
    func usageErrors() async throws {
        let pack = CommandRunner.packageRoot.appendingPathComponent("examples/policies").path
        let bad = try await CLI.run(["policy", "replay", pack, "--since", "last week", "--state-dir", "/nonexistent"], url: "http://127.0.0.1:1", key: nil)
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.stderr.contains("'last week' is neither a duration"), "\(bad)")
        let missing = try await CLI.run(["policy", "replay", pack, "--state-dir", "/nonexistent/airlock"], url: "http://127.0.0.1:1", key: nil)
        #expect(missing.status == 64, "\(missing)")
        #expect(missing.stderr.contains("there is no Airlock database"), "\(missing)")
    }
}
