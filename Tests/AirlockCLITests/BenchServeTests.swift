import AirlockTestSupport
import Foundation
import Testing

/// `airlock bench serve` on PostgreSQL with several instances: a short run that must answer
/// every request (the figures themselves are measured in release builds, see BENCHMARKS.md).
@Suite("airlock bench serve", .serialized)
struct BenchServeTests {
    @Test("two instances on one PostgreSQL database answer the load without an error")
    func twoInstancesOnPostgres() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let outcome = try await CommandRunner.run(
            try CommandRunner.requireAirlock(),
            [
                "bench", "serve", "--store", "postgres", "--instances", "2", "--clients", "4", "--seconds", "1",
                "--warmup", "0.5", "--port", String(CommandRunner.freePorts(2)),
            ],
            in: CommandRunner.packageRoot, environment: ["AIRLOCK_DATABASE_URL": cluster.url(database: database)], timeout: 180)
        let output = outcome.output + outcome.errorOutput
        #expect(outcome.status == 0, "\(output)")
        #expect(output.contains("2 instance(s)"), "\(output)")
        #expect(output.contains("(0 errors;"), "\(output)")
        // Both instances wrote to the one audit chain.
        let actors = try await cluster.query("SELECT count(DISTINCT actor) FROM audit_log WHERE kind = 'submitted'", database: database)
        #expect((Int(actors.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 4, "\(actors)")
    }

    @Test("--votes approves high-tier mutations through; --rate paces the clients and --report-every prints each interval")
    func votesAndAPacedSoak() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let votes = try await CommandRunner.run(
            airlock,
            ["bench", "serve", "--votes", "--clients", "4", "--seconds", "1", "--warmup", "0.5", "--port", String(CommandRunner.freePorts(2))],
            in: CommandRunner.packageRoot, timeout: 180)
        let voteOutput = votes.output + votes.errorOutput
        #expect(votes.status == 0, "\(voteOutput)")
        #expect(voteOutput.contains("(0 errors)") && voteOutput.contains("votes/s"), "\(voteOutput)")
        let voteCount = voteOutput.firstMatch(of: /votes: (\d+) in/).flatMap { Int($0.1) } ?? 0
        #expect(voteCount > 0, "\(voteOutput)")

        let paced = try await CommandRunner.run(
            airlock,
            [
                "bench", "serve", "--rate", "40", "--clients", "4", "--seconds", "2", "--report-every", "1", "--warmup", "0.5",
                "--port", String(CommandRunner.freePorts(2)),
            ],
            in: CommandRunner.packageRoot, timeout: 180)
        let pacedOutput = paced.output + paced.errorOutput
        #expect(paced.status == 0, "\(pacedOutput)")
        let lines = pacedOutput.split(separator: "\n").filter { $0.contains("decisions/s, p50") && $0.contains("VmRSS") }
        #expect(lines.count == 2, "\(pacedOutput)")
        // Each line says how large the SQLite store has grown on disk (a database of a few MiB).
        let stored = lines.compactMap { $0.firstMatch(of: /, store (\d+) MiB$/).flatMap { Int($0.1) } }
        #expect(stored.count == 2 && stored.allSatisfy { $0 >= 0 && $0 < 1024 }, "\(lines)")
        // Paced to 40/s: about 80 in 2 s, never the hundreds a back-to-back run answers.
        let requests = pacedOutput.firstMatch(of: /requests: (\d+) in/).flatMap { Int($0.1) } ?? 0
        #expect((40...120).contains(requests), "\(pacedOutput)")
    }

    @Test("several instances need PostgreSQL; --store postgres needs a database")
    func refusals() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let sqlite = try await CommandRunner.run(airlock, ["bench", "serve", "--instances", "2"], in: CommandRunner.packageRoot)
        #expect(sqlite.status != 0 && sqlite.errorOutput.contains("several instances share a PostgreSQL database"), "\(sqlite)")
        let noDatabase = try await CommandRunner.run(
            airlock, ["bench", "serve", "--store", "postgres"], in: CommandRunner.packageRoot,
            environment: ["AIRLOCK_DATABASE_URL": ""])
        #expect(noDatabase.status != 0 && noDatabase.errorOutput.contains("--store postgres needs the database"), "\(noDatabase)")
    }
}
