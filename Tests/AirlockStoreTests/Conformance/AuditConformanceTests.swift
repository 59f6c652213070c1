import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: the audit log, checkpoints, verification and inclusion proofs.
@Suite("Store conformance: audit log", .sharedResources)
struct AuditConformanceTests {
    @Test("records chain by hash, read back in order, and keep their time", arguments: StoreFactory.all)
    func chain(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        var written: [AuditRecord] = []
        for index in 0..<25 {
            subject.clock.advance(by: 1)
            written += try await store.note("n\(index)", at: subject.clock.now).auditRecords
        }
        #expect(written.map(\.seq) == Array(1...25))
        for (previous, record) in zip(written, written.dropFirst()) {
            #expect(record.previousHash == previous.hash)
            #expect(record.timeMicros > previous.timeMicros)
        }
        #expect(written.allSatisfy { $0.computedHash == $0.hash })
        #expect(written.last?.time == subject.clock.now)

        #expect(try await store.auditRecords(after: 0, limit: 100) == written)
        #expect(try await store.auditRecords(after: 20, limit: 3).map(\.seq) == [21, 22, 23])
        #expect(try await store.auditRecords(after: 25, limit: 3).isEmpty)

        let head = try await store.auditHead()
        #expect(head.size == 25 && head.lastHash == written.last?.hash)
        var frontier = MerkleFrontier()
        for record in written { frontier.append(recordHash: record.hash) }
        #expect(head.root == frontier.root)

        let start = try #require(written.first).time
        #expect(try await store.firstAuditSeq(atOrAfter: start.addingTimeInterval(9.5)) == 11)
        #expect(try await store.firstAuditSeq(atOrAfter: start) == 1)
        #expect(try await store.firstAuditSeq(atOrAfter: subject.clock.now.addingTimeInterval(1)) == nil)
    }

    @Test("record time never goes back, even when the clock does", arguments: StoreFactory.all)
    func monotonicTime(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let first = try await subject.store.note("a", at: subject.clock.now).auditRecords[0]
        subject.clock.advance(by: -60)
        let second = try await subject.store.note("b", at: subject.clock.now).auditRecords[0]
        #expect(second.timeMicros == first.timeMicros)
        #expect(try await subject.store.verifyAudit(publicKey: subject.publicKey).isIntact)
    }

    @Test("a checkpoint is signed every N records, in the same commit", arguments: StoreFactory.all)
    func checkpointsByCount(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 10))
        defer { subject.cleanUp() }
        let store = subject.store
        var signed: [AuditCheckpoint] = []
        for index in 0..<35 {
            if let checkpoint = try await store.note("n\(index)", at: subject.clock.now).checkpoint {
                signed.append(checkpoint)
            }
        }
        #expect(signed.map(\.treeSize) == [10, 20, 30])
        #expect(try await store.auditCheckpoints() == signed)
        #expect(signed.allSatisfy { $0.hasValidSignature(for: subject.publicKey) })
        #expect(try await store.auditHead().latestCheckpoint == signed.last)

        let report = try await store.verifyAudit(publicKey: subject.publicKey)
        #expect(report.isIntact && report.recordCount == 35 && report.checkpointCount == 3)
        #expect(report.validSignatures == 3 && report.signedSize == 30)
    }

    @Test("a checkpoint falls due by time, checked by a timer without any write", arguments: StoreFactory.all)
    func checkpointsByTime(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 1000, checkpointInterval: 60))
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.note("a", at: subject.clock.now)
        #expect(try await store.checkpointIfDue() == nil)
        subject.clock.advance(by: 59)
        #expect(try await store.checkpointIfDue() == nil)
        subject.clock.advance(by: 1)
        let checkpoint = try #require(try await store.checkpointIfDue())
        #expect(checkpoint.treeSize == 1 && checkpoint.time == subject.clock.now)
        subject.clock.advance(by: 600)
        #expect(try await store.checkpointIfDue() == nil, "nothing new to sign")

        // Or with the next write once the interval has passed.
        try await store.note("b", at: subject.clock.now)
        #expect(try await store.auditCheckpoints().map(\.treeSize) == [1, 2])
        #expect(try await store.signCheckpoint() == nil, "the latest checkpoint covers everything")
        try await store.note("c", at: subject.clock.now)
        #expect(try await store.signCheckpoint()?.treeSize == 3)
    }

    @Test("inclusion proofs verify with the public key alone, and fail when altered", arguments: StoreFactory.all)
    func inclusionProofs(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 1000))
        defer { subject.cleanUp() }
        let store = subject.store
        for index in 0..<13 {
            try await store.note("n\(index)", at: subject.clock.now)
        }
        #expect(await storeErrorCode { _ = try await store.inclusionProof(seq: 1) } == .noCheckpoint)
        _ = try await store.signCheckpoint()
        try await store.note("after", at: subject.clock.now)

        for seq in Int64(1)...13 {
            let proof = try await store.inclusionProof(seq: seq)
            #expect(proof.record.seq == seq && proof.checkpoint.treeSize == 13)
            try proof.verify(publicKey: subject.publicKey)
            let decoded = try JSONDecoder().decode(AuditInclusionProof.self, from: JSONEncoder().encode(proof))
            try decoded.verify(publicKey: subject.publicKey)
        }
        #expect(await storeErrorCode { _ = try await store.inclusionProof(seq: 14) } == .noCheckpoint)

        let proof = try await store.inclusionProof(seq: 5)
        var altered = proof
        altered.record.payload = #"{"text":"changed"}"#
        #expect(throws: AuditInclusionProof.Failure.recordAltered(seq: 5)) {
            try altered.verify(publicKey: subject.publicKey)
        }
        var swapped = proof
        swapped.record = try await store.auditRecords(after: 5, limit: 1)[0]
        #expect(throws: AuditInclusionProof.Failure.self) { try swapped.verify(publicKey: subject.publicKey) }
        var forged = proof
        forged.checkpoint.treeSize = 14
        #expect(throws: AuditInclusionProof.Failure.self) { try forged.verify(publicKey: subject.publicKey) }
        let otherKey = AuditPublicKey(AuditSigningKey.generate().publicKey)
        #expect(throws: AuditInclusionProof.Failure.signatureMismatch(keyID: otherKey.keyID)) {
            try proof.verify(publicKey: otherKey)
        }
    }

    @Test("verification of an intact log under another key names the signature mismatch", arguments: StoreFactory.all)
    func wrongKey(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 5))
        defer { subject.cleanUp() }
        for index in 0..<12 {
            try await subject.store.note("n\(index)", at: subject.clock.now)
        }
        let report = try await subject.store.verifyAudit(publicKey: AuditSigningKey.generate().publicKey)
        #expect(report.problems.map(\.kind) == [.signatureMismatch, .signatureMismatch])
        #expect(report.firstProblem?.seq == 1)
    }
}
