import AirlockCore
import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

/// Store conformance: the truncation no local check can see, and the witness that sees it.
@Suite("Store conformance: audit witness", .sharedResources)
struct WitnessConformanceTests {
    /// 25 records, a checkpoint every 10 (at 10 and 20).
    private func writeLog(_ subject: StoreUnderTest) async throws -> [AuditRecord] {
        for index in 0..<25 {
            subject.clock.advance(by: 1)
            _ = try await subject.store.note("n\(index)", at: subject.clock.now)
        }
        let checkpoints = try await subject.store.auditCheckpoints()
        #expect(checkpoints.map(\.treeSize) == [10, 20])
        return try await subject.store.auditRecords(after: 0, limit: 100)
    }

    /// Someone with write access to the database deletes records 13…25 and the checkpoint signed
    /// over 20 of them, and sets the head marker back to record 12 (size, last hash and time,
    /// frontier, latest checkpoint): all the log itself keeps is consistent.
    private func truncate(_ subject: StoreUnderTest, _ records: [AuditRecord], keeping kept: Int) async throws {
        var frontier = MerkleFrontier()
        for record in records.prefix(kept) { frontier.append(recordHash: record.hash) }
        let last = records[kept - 1]
        try await subject.tamper([
            "DELETE FROM audit_log WHERE seq > \(kept)",
            "DELETE FROM audit_checkpoints WHERE tree_size > \(kept)",
            """
            UPDATE audit_head SET size = \(kept), last_hash = \(subject.blob(last.hash.bytes)),
                last_time_us = \(last.timeMicros), frontier = \(subject.blob(frontier.serialized)),
                checkpoint_size = 10
            WHERE id = 1
            """,
        ])
    }

    @Test("without a witness, records and their checkpoints deleted back to within N of a checkpoint verify intact", arguments: StoreFactory.all)
    func theHole(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 10))
        defer { subject.cleanUp() }
        let records = try await writeLog(subject)
        try await truncate(subject, records, keeping: 12)
        // What the database alone can show: nothing. (The reason for the witness.)
        let report = try await subject.store.verifyAudit(publicKey: subject.publicKey)
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.recordCount == 12)
    }

    @Test("with a witness, the same truncation is a failure naming the witnessed checkpoint", arguments: StoreFactory.all)
    func theWitnessSeesIt(_ factory: StoreFactory) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let witness = directory.url.appendingPathComponent("witness.jsonl")
        let subject = try await factory(StoreOptions(checkpointEvery: 10, witness: witness))
        defer { subject.cleanUp() }
        let records = try await writeLog(subject)

        // Each signed checkpoint is a line of the witness, before its commit was acknowledged.
        let contents = try AuditWitness(url: witness).read()
        #expect(contents.checkpoints == (try await subject.store.auditCheckpoints()))
        let intact = try await subject.store.verifyAudit(publicKey: subject.publicKey)
        #expect(intact.isIntact, "\(intact.problems)")

        try await truncate(subject, records, keeping: 12)
        let report = try await subject.store.verifyAudit(publicKey: subject.publicKey)
        #expect(report.problems.map(\.kind) == [.truncated], "\(report.problems)")
        let problem = try #require(report.firstProblem)
        #expect(problem.seq == 13)
        #expect(problem.detail.contains("witness"), "\(problem.detail)")
        #expect(problem.detail.contains("checkpoint over 20 records signed at "), "\(problem.detail)")
    }

    @Test("with a witness, a witnessed checkpoint deleted from the log is named", arguments: StoreFactory.all)
    func witnessedCheckpointDeleted(_ factory: StoreFactory) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let witness = directory.url.appendingPathComponent("witness.jsonl")
        let subject = try await factory(StoreOptions(checkpointEvery: 10, witness: witness))
        defer { subject.cleanUp() }
        _ = try await writeLog(subject)

        // Only the checkpoint row at 20 is deleted (and the marker set back): the records are intact.
        try await subject.tamper([
            "DELETE FROM audit_checkpoints WHERE tree_size = 20", "UPDATE audit_head SET checkpoint_size = 10 WHERE id = 1",
        ])
        let report = try await subject.store.verifyAudit(publicKey: subject.publicKey)
        #expect(report.problems.allSatisfy { $0.kind == .checkpointMissing }, "\(report.problems)")
        #expect(
            report.problems.contains { $0.seq == 20 && $0.detail.contains("the witness") && $0.detail.contains("tree size 20") },
            "\(report.problems)")
    }
}
