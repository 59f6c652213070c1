import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

/// `airlock store copy`: a SQLite store made through the real server, copied into PostgreSQL row
/// for row, with an audit log that verifies there under the same key.
@Suite("airlock store copy", .sharedResources)
struct StoreCopyTests {
    typealias CLI = CLIClientTests.CLI
    typealias Key = CLIClientTests.Key

    @Test("a history made on SQLite reads back the same from PostgreSQL, and its audit log verifies")
    func copiesIntoPostgres() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let url = cluster.url(database: database)
        try await CLIClientTests.Server.with(executors: true) { serverURL, state in
            var ids: [String] = []
            for amount in [50, 25_000, 120] {
                let submitted = try await CLI.run(PolicyReplayTests.transfer(amount), url: serverURL, key: Key.agent)
                ids.append(try #require(submitted.json?["id"] as? String, "\(submitted)"))
            }
            for key in [Key.alice, Key.bob] {
                let vote = try await CLI.run(["review", "approve", ids[1]], url: serverURL, key: key)
                #expect(vote.status == 0, "\(vote)")
            }
            let checkpoint = try await CommandRunner.airlock(["audit", "checkpoint", "--state-dir", state])
            #expect(checkpoint.status == 0, "\(checkpoint)")

            let copy = try await CommandRunner.airlock(["store", "copy", "--from", state, "--to", url])
            #expect(copy.status == 0, "\(copy)")
            #expect(copy.output.contains("verifies"), "\(copy)")
            #expect(copy.output.contains("mutations: 3 rows"), "\(copy)")

            let source = try SQLiteStore.open(StateDirectory(path: state), createIfMissing: false)
            let target = try await PostgresStore(
                url: url, configuration: PostgresStore.Configuration(signingKey: source.configuration.signingKey))
            for id in ids {
                let before = try #require(try await source.mutation(id: id))
                let after = try #require(try await target.mutation(id: id))
                #expect(before == after)
                #expect(try await source.transitions(mutationID: id) == (try await target.transitions(mutationID: id)))
                #expect(try await source.reviews(mutationID: id) == (try await target.reviews(mutationID: id)))
            }
            #expect(try await source.auditHead() == (try await target.auditHead()))
            #expect(try await source.auditCheckpoints() == (try await target.auditCheckpoints()))
            #expect(try await source.policyVersions() == (try await target.policyVersions()))
            let key = try #require(source.configuration.signingKey)
            #expect(try await target.verifyAudit(publicKey: key.publicKey).isIntact)

            // A second copy into the same database is refused: it is not empty any more.
            let again = try await CommandRunner.airlock(["store", "copy", "--from", state, "--to", url])
            #expect(again.status != 0, "\(again)")
            #expect(again.errorOutput.contains("is not empty"), "\(again)")
            try await target.close()
            try await source.close()
        }
    }
}
