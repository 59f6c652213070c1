import AirlockCore
import AirlockStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A writer killed with SIGKILL at random points loses nothing it reported as committed, and leaves
/// a log that opens and verifies.
@Suite("Crash safety")
struct CrashTests {
    @Test("SIGKILL at random points, 20 times: the database opens, verifies, and holds every reported commit")
    func killedWriter() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url.appendingPathComponent("state"))
        var reported: [(seq: Int64, mutationID: String, status: MutationStatus)] = []
        var generator = SystemRandomNumberGenerator()

        for round in 0..<20 {
            let outURL = directory.url.appendingPathComponent("round-\(round).out")
            FileManager.default.createFile(atPath: outURL.path, contents: nil)
            let process = Process()
            process.executableURL = airlock
            process.arguments = [
                "audit", "stress-writer", "--state-dir", state.url.path, "--tasks", "8", "--checkpoint-every", "25",
                "--duration", "20",
            ]
            process.standardOutput = try FileHandle(forWritingTo: outURL)
            let errURL = directory.url.appendingPathComponent("round-\(round).err")
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
            // Anywhere from while it opens the database to well into its writing.
            let delay = UInt64.random(in: 20...450, using: &generator)
            try await Task.sleep(nanoseconds: delay * 1_000_000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .uncaughtSignal,
                "round \(round) ended on its own after \(delay) ms, status \(process.terminationStatus): \((try? String(contentsOf: errURL, encoding: .utf8)) ?? "")")

            for line in try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count == 4, fields[0] == "committed", let seq = Int64(fields[1]),
                    let status = MutationStatus(rawValue: String(fields[3]))
                else {
                    Issue.record("round \(round): unexpected line \(line.debugDescription)")
                    continue
                }
                reported.append((seq, String(fields[2]), status))
            }
        }
        #expect(reported.count > 100, "the writer committed too little to mean anything")

        let store = try SQLiteStore.open(state, createIfMissing: false)
        let key = try AuditSigningKey.load(from: state.signingKeyURL).publicKey
        let report = try await store.verifyAudit(publicKey: key)
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.checkpointCount > 0)

        var statuses: [String: Set<MutationStatus>] = [:]
        for commit in reported {
            let record = try await store.auditRecords(after: commit.seq - 1, limit: 1).first
            #expect(record?.seq == commit.seq && record?.mutationID == commit.mutationID, "seq \(commit.seq) lost")
            if statuses[commit.mutationID] == nil {
                let transitions = try await store.transitions(mutationID: commit.mutationID)
                statuses[commit.mutationID] = Set(transitions.map(\.to))
            }
            #expect(
                statuses[commit.mutationID]?.contains(commit.status) == true,
                "\(commit.mutationID) lost \(commit.status)")
        }
        try await store.close()

        let cli = try await CommandRunner.airlock(["audit", "verify", "--state-dir", state.url.path])
        #expect(cli.status == 0, "\(cli.output)")
    }
}
