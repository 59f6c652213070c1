import Foundation
import GRDB

/// The end of the audit log inside one write transaction: appends records, keeps the Merkle
/// frontier, and signs checkpoints when they fall due.
///
/// It is read from `audit_head` at the start of every transaction and written back before the
/// commit, so that several processes (the server and `airlock audit checkpoint`) can append to the
/// same database. A value type: the group-commit writer copies it before each change and puts the
/// copy back when the change's savepoint is rolled back.
struct AuditAppender {
    private(set) var tail: AuditTail

    var size: Int64 { tail.size }
    var lastHash: AuditHash { tail.lastHash }
    var frontier: MerkleFrontier { tail.frontier }

    /// Reads the head row.
    init(db: Database) throws {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT size, last_hash, last_time_us, frontier, checkpoint_size, checkpoint_time_us
                        FROM audit_head WHERE id = 1
                        """))
        else {
            throw StoreError(.corrupted, "the audit head row is missing; run `airlock audit verify`")
        }
        let lastHash: Data = row[1]
        let frontier: Data = row[3]
        tail = try AuditTail(
            size: row[0], lastHash: lastHash, lastTimeMicros: row[2], frontier: frontier, checkpointSize: row[4],
            checkpointTimeMicros: row[5])
    }

    /// Appends one record at `timeMicros` (raised to the last record's time if the clock went back).
    mutating func append(_ entry: AuditEntry, timeMicros: Int64, db: Database) throws -> AuditRecord {
        let record = tail.append(entry, timeMicros: timeMicros)
        try record.previousHash.withUnsafeBytes { previousBytes in
            try record.hash.withUnsafeBytes { hashBytes in
                try db.cachedStatement(
                    sql: """
                        INSERT INTO audit_log (seq, time_us, kind, mutation_id, actor, policy_version, payload,
                            prev_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    record.seq, record.timeMicros, entry.kind.rawValue, entry.mutationID, entry.actor, entry.policyVersion,
                    entry.payload, Data(previousBytes), Data(hashBytes),
                ])
            }
        }
        return record
    }

    /// Whether a checkpoint is due (see ``AuditTail/isCheckpointDue(every:intervalMicros:nowMicros:)``).
    func isCheckpointDue(every: Int, intervalMicros: Int64, nowMicros: Int64) -> Bool {
        tail.isCheckpointDue(every: every, intervalMicros: intervalMicros, nowMicros: nowMicros)
    }

    /// Signs the current tree and stores the checkpoint.
    mutating func signCheckpoint(with key: AuditSigningKey, timeMicros: Int64, db: Database) throws -> AuditCheckpoint?
    {
        guard let checkpoint = try tail.signCheckpoint(with: key, timeMicros: timeMicros) else { return nil }
        try db.cachedStatement(
            sql: "INSERT INTO audit_checkpoints (tree_size, root, time_us, key_id, signature) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [
            checkpoint.treeSize, Data(checkpoint.root.bytes), checkpoint.timeMicros, checkpoint.keyID,
            checkpoint.signature,
        ])
        return checkpoint
    }

    /// Writes the head row back.
    func save(db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE audit_head SET size = ?, last_hash = ?, last_time_us = ?, frontier = ?,
                    checkpoint_size = ?, checkpoint_time_us = ?
                WHERE id = 1
                """
        ).execute(arguments: [
            tail.size, Data(tail.lastHash.bytes), tail.lastTimeMicros, Data(tail.frontier.serialized), tail.checkpointSize,
            tail.checkpointTimeMicros,
        ])
    }
}
