import AirlockCore
import AirlockStore
import Foundation
import GRDB
import AirlockTestSupport
import Testing

/// Someone with write access to the database edits the audit log; verification names what they
/// did and where.
@Suite("Tamper detection", .sharedResources)
struct TamperTests {
    /// A log of `records` records (three per mutation: submitted, decided, approved), checkpoints
    /// every `checkpointEvery`; `tamper` then edits the closed database directly.
    private func verify(
        records: Int = 30, checkpointEvery: Int = 10, _ tamper: @escaping @Sendable (Database) throws -> Void
    ) async throws -> AuditVerificationReport {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let store = try SQLiteStore.open(state) { $0.checkpointEvery = checkpointEvery }
        let publicKey = try #require(store.configuration.signingKey).publicKey
        for index in 0..<records {
            switch index % 3 {
            case 0: try await store.create("m-\(index / 3)", at: Date())
            case 1: try await store.move("m-\(index / 3)", .received, .pendingReview, at: Date())
            default: try await store.move("m-\(index / 3)", .pendingReview, .approved, at: Date())
            }
        }
        let intact = try await store.verifyAudit(publicKey: publicKey)
        #expect(intact.isIntact, "before tampering: \(intact.problems)")
        try await store.close()

        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in try tamper(db) }
        try queue.close()

        let reopened = try SQLiteStore.open(state, createIfMissing: false) { $0.checkpointEvery = checkpointEvery }
        defer { Task { try? await reopened.close() } }
        return try await reopened.verifyAudit(publicKey: publicKey)
    }

    private static func record(_ db: Database, _ seq: Int64) throws -> AuditRecord {
        let row = try #require(
            try Row.fetchOne(
                db,
                sql:
                    "SELECT seq, time_us, kind, mutation_id, actor, policy_version, payload, prev_hash, hash FROM audit_log WHERE seq = ?",
                arguments: [seq]))
        return AuditRecord(
            seq: row[0], timeMicros: row[1], kind: AuditKind(rawValue: row[2]), mutationID: row[3], actor: row[4],
            payload: row[6], policyVersion: row[5], previousHash: AuditHash(bytes: (row[7] as Data))!,
            hash: AuditHash(bytes: (row[8] as Data))!)
    }

    private static func write(_ db: Database, _ record: AuditRecord) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO audit_log (seq, time_us, kind, mutation_id, actor, policy_version, payload, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.seq, record.timeMicros, record.kind.rawValue, record.mutationID, record.actor,
                record.policyVersion, record.payload, Data(record.previousHash.bytes), Data(record.hash.bytes),
            ])
    }

    /// Rewrites every record from `seq` on so that the chain is consistent again, and the head.
    private static func rechain(_ db: Database, from seq: Int64) throws {
        let size = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_log") ?? 0
        var previous = seq == 1 ? AuditHash.zero : try record(db, seq - 1).hash
        for current in seq...size {
            var record = try record(db, current)
            record.previousHash = previous
            record.hash = record.computedHash
            try write(db, record)
            previous = record.hash
        }
        try db.execute(
            sql: "UPDATE audit_head SET size = ?, last_hash = ?", arguments: [size, Data(previous.bytes)])
    }

    @Test("a field edited in place: edited, at that record")
    func editedField() async throws {
        let report = try await verify { db in
            try db.execute(sql: #"UPDATE audit_log SET actor = 'mallory' WHERE seq = 12"#)
        }
        #expect(report.firstProblem?.kind == .edited && report.firstProblem?.seq == 12)
        #expect(report.firstProblem?.detail.contains("no longer matches its hash") == true)
    }

    @Test("a field edited and that record's hash recomputed: edited, at that record")
    func editedAndRehashed() async throws {
        let report = try await verify { db in
            var record = try Self.record(db, 12)
            record.payload = #"{"kind":"approved","amount":1}"#
            record.hash = record.computedHash
            try Self.write(db, record)
        }
        #expect(report.firstProblem?.kind == .edited && report.firstProblem?.seq == 12)
        #expect(report.firstProblem?.detail.contains("hash recomputed") == true)
    }

    @Test("a row deleted: deleted, at its seq")
    func deletedRow() async throws {
        let report = try await verify { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq = 12") }
        #expect(report.firstProblem?.kind == .deleted && report.firstProblem?.seq == 12)
        #expect(report.firstProblem?.detail == "record 12 is missing (seq jumps from 11 to 13)")
    }

    @Test("rows deleted and the rest renumbered: deleted")
    func deletedAndRenumbered() async throws {
        let report = try await verify { db in
            try db.execute(sql: "DELETE FROM audit_log WHERE seq IN (12, 13)")
            try db.execute(sql: "UPDATE audit_log SET seq = seq - 2 WHERE seq > 13")
        }
        #expect(report.firstProblem?.kind == .deleted && report.firstProblem?.seq == 12)
        #expect(report.firstProblem?.detail.contains("renumbered") == true)
    }

    @Test("two rows swapped: reordered, at the first of them")
    func swappedRows() async throws {
        let report = try await verify { db in
            try db.execute(sql: "UPDATE audit_log SET seq = -1 WHERE seq = 12")
            try db.execute(sql: "UPDATE audit_log SET seq = 12 WHERE seq = 17")
            try db.execute(sql: "UPDATE audit_log SET seq = 17 WHERE seq = -1")
        }
        #expect(report.firstProblem?.kind == .reordered && report.firstProblem?.seq == 12)
        #expect(report.firstProblem?.detail.contains("written as seq 17") == true)
    }

    @Test("a forged row inserted in the middle, later rows pushed down: inserted")
    func insertedRow() async throws {
        for validHash in [true, false] {
            let report = try await verify { db in
                try db.execute(sql: "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 12")
                try db.execute(sql: "UPDATE audit_log SET seq = -seq WHERE seq < 0")
                var forged = try Self.record(db, 11)
                forged.seq = 12
                forged.kind = .approved
                forged.actor = "mallory"
                forged.previousHash = forged.hash
                forged.hash = validHash ? forged.computedHash : forged.hash
                try Self.write(db, forged)
            }
            #expect(
                report.firstProblem?.kind == .inserted && report.firstProblem?.seq == 12, "valid hash: \(validHash)")
        }
    }

    @Test("the tail cut off below the last checkpoint: truncated")
    func truncatedBelowCheckpoint() async throws {
        let report = try await verify { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq > 25") }
        #expect(report.firstProblem?.kind == .truncated && report.firstProblem?.seq == 26)
        #expect(report.firstProblem?.detail.contains("checkpoint signed 30 records") == true)
    }

    @Test("the unsigned tail cut off: truncated, by the head marker")
    func truncatedUnsignedTail() async throws {
        let report = try await verify(records: 35) { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq > 32") }
        #expect(report.firstProblem?.kind == .truncated && report.firstProblem?.seq == 33)
        #expect(report.firstProblem?.detail.contains("head marker") == true)
    }

    @Test("the whole chain recomputed after an edit: the signed checkpoints no longer match")
    func recomputedChain() async throws {
        let report = try await verify { db in
            try db.execute(sql: #"UPDATE audit_log SET actor = 'mallory' WHERE seq = 15"#)
            try Self.rechain(db, from: 15)
        }
        #expect(report.problems.map(\.kind) == [.checkpointMismatch])
        #expect(report.firstProblem?.seq == 11 && report.signedSize == 10)
        #expect(report.firstProblem?.detail.contains("seq 11…20") == true)
    }

    @Test("the whole chain and the checkpoints' roots recomputed: signature mismatch")
    func recomputedChainAndCheckpoints() async throws {
        let report = try await verify { db in
            try db.execute(sql: #"UPDATE audit_log SET actor = 'mallory' WHERE seq = 15"#)
            try Self.rechain(db, from: 15)
            var frontier = MerkleFrontier()
            for seq in Int64(1)...30 {
                frontier.append(recordHash: try Self.record(db, seq).hash)
                if seq.isMultiple(of: 10) {
                    try db.execute(
                        sql: "UPDATE audit_checkpoints SET root = ? WHERE tree_size = ?",
                        arguments: [Data(frontier.root.bytes), seq])
                }
            }
        }
        #expect(report.problems.map(\.kind) == [.signatureMismatch, .signatureMismatch])
        #expect(report.firstProblem?.seq == 11 && report.validSignatures == 1)
        #expect(report.firstProblem?.detail.contains("tree size 20") == true)
    }

    @Test("checkpoints deleted: checkpoint missing")
    func deletedCheckpoints() async throws {
        let report = try await verify { db in try db.execute(sql: "DELETE FROM audit_checkpoints WHERE tree_size > 10")
        }
        #expect(report.problems.map(\.kind) == [.checkpointMissing, .checkpointMissing] && report.firstProblem?.seq == 11)
    }

    @Test("the newest checkpoints deleted, the head marker set back, a record edited and rechained")
    func deletedCheckpointsCoveredUp() async throws {
        let report = try await verify { db in
            try db.execute(sql: "DELETE FROM audit_checkpoints WHERE tree_size > 10")
            try db.execute(sql: "UPDATE audit_head SET checkpoint_size = 10")
            var record = try Self.record(db, 15)
            record.actor = "mallory"
            try Self.write(db, record)
            try Self.rechain(db, from: 15)
        }
        // Records 11…30 unsigned, though the store signs every 10: the cover-up shows.
        #expect(report.problems.map(\.kind) == [.checkpointMissing], "\(report.problems)")
        #expect(report.firstProblem?.seq == 11)
        #expect(report.firstProblem?.detail.contains("every 10 records") == true, "\(report.problems)")
    }

    @Test("the head marker deleted")
    func headMarkerDeleted() async throws {
        let report = try await verify { db in try db.execute(sql: "DELETE FROM audit_head") }
        #expect(report.problems.map(\.kind) == [.checkpointMissing], "\(report.problems)")
        #expect(report.firstProblem?.detail.contains("head marker") == true)
    }

    @Test("rows appended behind the store's back: inserted")
    func appendedOutsideStore() async throws {
        let report = try await verify(records: 32) { db in
            var forged = try Self.record(db, 32)
            forged.seq = 33
            forged.previousHash = forged.hash
            forged.hash = forged.computedHash
            try Self.write(db, forged)
        }
        #expect(report.firstProblem?.kind == .inserted && report.firstProblem?.seq == 33)
    }
}
