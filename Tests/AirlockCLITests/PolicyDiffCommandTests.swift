import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// `airlock policy diff`: the built binary on pack directories, and on the versions a real
/// server stored in its state directory.
// (The limit catches a hang: it includes the wait for a shared-resources slot, which a loaded
// run once stretched past 190 s.)
@Suite(.timeLimit(.minutes(5)), .sharedResources)
struct PolicyDiffCommandTests {
    @Test func twoPackDirectories() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let old = try Self.writePack(Self.pack, in: directory, named: "old")
        let new = try Self.writePack(Self.edited, in: directory, named: "new")

        let changed = try await CommandRunner.airlock(["policy", "diff", old, new])
        #expect(changed.status == 1, "\(changed.errorOutput)")
        let lines = changed.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("old: \(old) — cli-diff, version ") == true, "\(changed.output)")
        #expect(Array(lines.dropFirst(2)) == Self.expectedBody, "\(changed.output)")

        let same = try await CommandRunner.airlock(["policy", "diff", old, old])
        #expect(same.status == 0)
        #expect(same.output.hasSuffix("no changes\n"), "\(same.output)")

        let json = try await CommandRunner.airlock(["policy", "diff", old, new, "--json"])
        #expect(json.status == 1)
        let answer = JSON(text: json.output)
        #expect(answer["changed"].bool == true && answer["same_version"].bool == false, "\(json.output)")
        #expect(answer["old"]["path"].string == old && answer["new"]["path"].string == new)
        let rule = answer["rules"][0]
        #expect(rule["id"].string == "large" && rule["change"].string == "changed", "\(json.output)")
        #expect(rule["settings"][0]["key"].string == "score" && rule["settings"][0]["old"].int == 20)
        #expect(rule["settings"][0]["new"].int == 30)
    }

    @Test func theExamplePackAndItsShortSLAVariant() async throws {
        let root = CommandRunner.packageRoot.path
        let run = try await CommandRunner.run(
            try CommandRunner.requireAirlock(), ["policy", "diff", "examples/policies", "examples/escalation"],
            in: CommandRunner.packageRoot)
        #expect(run.status == 1, "\(run.errorOutput) in \(root)")
        #expect(run.output.contains("\ntiers\n  medium\n    sla: 4h → 2m\n  high\n    sla: 1h → 2m\n"), "\(run.output)")
        #expect(run.output.contains("\ntests (not part of the version)\n  - "), "\(run.output)")
    }

    @Test func whatCannotBeComparedExitsTwo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = try Self.writePack(Self.pack, in: directory, named: "good")
        let bad = try Self.writePack("policy: broken\nrules: [\n", in: directory, named: "bad")

        let neither = try await CommandRunner.airlock(["policy", "diff", good, directory.path + "/missing"])
        #expect(neither.status == 2)
        #expect(neither.errorOutput.contains("is no file or directory, nor a stored policy version"), "\(neither.errorOutput)")

        let noStore = try await CommandRunner.airlock([
            "policy", "diff", good, "c0ffee12", "--state-dir", directory.path + "/state",
        ])
        #expect(noStore.status == 2)
        #expect(noStore.errorOutput.contains("there is no Airlock database"), "\(noStore.errorOutput)")

        let broken = try await CommandRunner.airlock(["policy", "diff", bad, good])
        #expect(broken.status == 2)
        #expect(broken.errorOutput.contains("1 problem in \(bad)"), "\(broken.errorOutput)")
    }

    @Test func storedVersionsAreReadFromTheServersStateDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configured = try Self.writePack(Self.pack, in: directory, named: "configured")
        let uploadedFile = try Self.writePack(Self.edited, in: directory, named: "uploaded")
        let state = directory.path + "/state"
        var configuration = try GatewayConfiguration.parse(
            """
            state_dir: \(state)
            policy: \(configured)
            principals:
              - { id: root, kind: human, roles: [admin], key_sha256: \(PrincipalDirectory.hash(key: Self.rootKey)) }
              - { id: rita, kind: human, roles: [reviewer], pools: [finance, reviewers, approvers] }
            """, file: directory.path + "/airlock.yaml")
        configuration.port = 0
        var logger = Logger(label: "policy-diff-test")
        logger.logLevel = .warning
        let (application, _) = try await buildApplication(configuration, clock: ManualClock(Date()), logger: logger)
        try await application.test(.live) { client in
            let uploaded = try await client.execute(
                uri: "/v1/policies/uploaded", method: .put,
                headers: [.authorization: "Bearer \(Self.rootKey)", .contentType: "application/yaml"],
                body: ByteBuffer(string: Self.edited))
            #expect(uploaded.status == .created)
            let version = try #require(JSON(text: String(buffer: uploaded.body))["version"].string)

            // The active (configured) version against the uploaded one, by its first 12 digits:
            // the same report as the two packs on disk, under another header.
            let stored = try await CommandRunner.airlock([
                "policy", "diff", "active", String(version.prefix(12)), "--state-dir", state,
            ])
            #expect(stored.status == 1, "\(stored.errorOutput)")
            #expect(stored.output.hasPrefix("old: stored, active — cli-diff, version "), "\(stored.output)")
            #expect(stored.output.contains("new: stored — cli-diff, version \(version.prefix(12))\n"), "\(stored.output)")
            let onDisk = try await CommandRunner.airlock(["policy", "diff", configured, uploadedFile])
            #expect(Self.body(stored.output) == Self.body(onDisk.output))
            #expect(Self.body(stored.output) == Self.expectedBody)

            // A stored version against its own pack on disk: nothing differs.
            let same = try await CommandRunner.airlock(["policy", "diff", version, uploadedFile, "--state-dir", state, "--json"])
            #expect(same.status == 0, "\(same.output)\(same.errorOutput)")
            let answer = JSON(text: same.output)
            #expect(answer["changed"].bool == false && answer["old"]["stored"].bool == true)
            #expect(answer["old"]["active"].bool == false && answer["old"]["version"].string == version)

            let unknown = try await CommandRunner.airlock(["policy", "diff", "active", "ffff0000", "--state-dir", state])
            #expect(unknown.status == 2)
            #expect(unknown.errorOutput.contains("nor a policy version stored in"), "\(unknown.errorOutput)")
        }
    }
}

// MARK: - Packs

extension PolicyDiffCommandTests {
    static let rootKey = "policy-diff-root-key"

    static let pack = """
        policy: cli-diff
        classes: [public, financial]
        tiers:
          medium: { from_score: 30, pool: reviewers, sla: 4h }
          high: { from_score: 60, pool: approvers, sla: 1h }
        lists:
          blocked: [acc-1, acc-2]
        resources:
          pay:
            operations: [create]
            fields:
              amount: { type: number, required: true, min: 0, class: financial }
              to: { type: string, required: true }
        rules:
          - id: blocked-payee
            when: mutation.changes.to in lists.blocked
            tier: block
            reason: blocked payee
          - id: large
            when: mutation.changes.amount >= 10000.0
            tier: high
            score: 20
            approvals: { pool: finance, count: 2 }
            reason: a large payment

        """

    /// ``pack`` with a rule's score, a tier's SLA, a list and a field changed.
    static let edited =
        pack
        .replacingOccurrences(of: "score: 20", with: "score: 30")
        .replacingOccurrences(of: "sla: 4h", with: "sla: 2h")
        .replacingOccurrences(of: "[acc-1, acc-2]", with: "[acc-2, acc-3]")
        .replacingOccurrences(of: "to: { type: string, required: true }", with: "to: { type: string, required: true, track_new: true }")

    /// What the report says after its two header lines.
    static let expectedBody = [
        "",
        "resources",
        "  ~ pay",
        "      fields",
        "        ~ to",
        "            track_new: false → true",
        "",
        "lists",
        "  ~ blocked",
        "      + acc-3",
        "      - acc-1",
        "",
        "tiers",
        "  medium",
        "    sla: 4h → 2h",
        "",
        "rules",
        "  ~ large",
        "      score: 20 → 30",
        "",
    ]

    static func body(_ output: String) -> [String] {
        Array(output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropFirst(2))
    }

    /// Writes `text` as `NAME/pack.yaml` and returns the directory's path.
    static func writePack(_ text: String, in directory: TemporaryDirectory, named name: String) throws -> String {
        let url = directory.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try text.write(to: url.appendingPathComponent("pack.yaml"), atomically: true, encoding: .utf8)
        return url.path
    }
}
