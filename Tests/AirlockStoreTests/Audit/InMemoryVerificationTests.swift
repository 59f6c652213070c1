import AirlockStore
import Foundation
import Testing

/// The helpers another store implementation verifies and proves with agree with the SQLite store.
@Suite("Verification over records in memory")
struct InMemoryVerificationTests {
    @Test("same report as the store for an intact log, and the same problems for an altered one")
    func sameAsStore() async throws {
        let subject = try await StoreFactory.sqliteInMemory(StoreOptions(checkpointEvery: 4))
        for index in 0..<10 {
            try await subject.store.note("n\(index)", at: subject.clock.now)
        }
        let records = try await subject.store.auditRecords(after: 0, limit: 100)
        let checkpoints = try await subject.store.auditCheckpoints()
        let stored = try await subject.store.verifyAudit(publicKey: subject.publicKey)
        let inMemory = AuditVerificationReport.verifying(
            records: records, checkpoints: checkpoints, publicKey: subject.publicKey, expectedSize: 10,
            expectedCheckpointSize: 8)
        #expect(inMemory == stored && inMemory.isIntact)

        var edited = records
        edited[4].actor = "mallory"
        #expect(
            AuditVerificationReport.verifying(records: edited, checkpoints: checkpoints, publicKey: subject.publicKey)
                .firstProblem?.kind == .edited)
        var swapped = records
        swapped.swapAt(4, 6)
        (swapped[4].seq, swapped[6].seq) = (5, 7)
        let reordered = AuditVerificationReport.verifying(
            records: swapped, checkpoints: checkpoints, publicKey: subject.publicKey)
        #expect(reordered.firstProblem?.kind == .reordered && reordered.firstProblem?.seq == 5)
        let truncated = AuditVerificationReport.verifying(
            records: Array(records.prefix(9)), checkpoints: checkpoints, publicKey: subject.publicKey, expectedSize: 10)
        #expect(truncated.firstProblem?.kind == .truncated && truncated.firstProblem?.seq == 10)
    }

    @Test("a proof built from record hashes equals the store's")
    func proofFromHashes() async throws {
        let subject = try await StoreFactory.sqliteInMemory(StoreOptions(checkpointEvery: 7))
        for index in 0..<7 {
            try await subject.store.note("n\(index)", at: subject.clock.now)
        }
        let records = try await subject.store.auditRecords(after: 0, limit: 100)
        let checkpoint = try #require(try await subject.store.auditCheckpoints().last)
        for record in records {
            let proof = try AuditInclusionProof(
                record: record, recordHashes: records.map(\.hash), checkpoint: checkpoint)
            #expect(proof == (try await subject.store.inclusionProof(seq: record.seq)))
            try proof.verify(publicKey: subject.publicKey)
        }
    }
}
