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
    private(set) var size: Int64
    private(set) var lastHash: AuditHash
    private(set) var lastTimeMicros: Int64
    private(set) var frontier: MerkleFrontier
    private(set) var checkpointSize: Int64
    private(set) var checkpointTimeMicros: Int64
    private var encoder = AuditRecordEncoder()

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
        size = row[0]
        let lastHashBytes: Data = row[1]
        let frontierBytes: Data = row[3]
        guard let lastHash = AuditHash(bytes: lastHashBytes),
            let frontier = MerkleFrontier(size: size, serialized: Array(frontierBytes))
        else {
            throw StoreError(.corrupted, "the audit head row is malformed; run `airlock audit verify`")
        }
        self.lastHash = lastHash
        self.frontier = frontier
        lastTimeMicros = row[2]
        checkpointSize = row[4]
        checkpointTimeMicros = row[5]
    }

    /// Appends one record at `timeMicros` (raised to the last record's time if the clock went back).
    mutating func append(_ entry: AuditEntry, timeMicros: Int64, db: Database) throws -> AuditRecord {
        let seq = size + 1
        let time = max(timeMicros, lastTimeMicros)
        let hash = encoder.hash(
            seq: seq, timeMicros: time, kind: entry.kind.rawValue, mutationID: entry.mutationID, actor: entry.actor,
            policyVersion: entry.policyVersion, payload: entry.payload, previousHash: lastHash)
        let previous = lastHash
        try lastHash.withUnsafeBytes { previousBytes in
            try hash.withUnsafeBytes { hashBytes in
                try db.cachedStatement(
                    sql: """
                        INSERT INTO audit_log (seq, time_us, kind, mutation_id, actor, policy_version, payload,
                            prev_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    seq, time, entry.kind.rawValue, entry.mutationID, entry.actor, entry.policyVersion,
                    entry.payload, Data(previousBytes), Data(hashBytes),
                ])
            }
        }
        if size == 0 && checkpointTimeMicros == 0 {
            checkpointTimeMicros = time
        }
        size = seq
        lastHash = hash
        lastTimeMicros = time
        frontier.append(recordHash: hash)
        return AuditRecord(
            seq: seq, timeMicros: time, kind: entry.kind, mutationID: entry.mutationID, actor: entry.actor,
            payload: entry.payload, policyVersion: entry.policyVersion, previousHash: previous, hash: hash)
    }

    /// Whether a checkpoint is due: `every` records since the last one, or `interval` since it
    /// (or since the first record) with at least one record unsigned.
    func isCheckpointDue(every: Int, intervalMicros: Int64, nowMicros: Int64) -> Bool {
        let unsigned = size - checkpointSize
        guard unsigned > 0 else { return false }
        return unsigned >= Int64(every) || nowMicros - checkpointTimeMicros >= intervalMicros
    }

    /// Signs the current tree and stores the checkpoint.
    mutating func signCheckpoint(with key: AuditSigningKey, timeMicros: Int64, db: Database) throws -> AuditCheckpoint?
    {
        guard size > checkpointSize else { return nil }
        let time = max(timeMicros, lastTimeMicros)
        let checkpoint = try AuditCheckpoint(treeSize: size, root: frontier.root, timeMicros: time, signingKey: key)
        try db.cachedStatement(
            sql: "INSERT INTO audit_checkpoints (tree_size, root, time_us, key_id, signature) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [
            checkpoint.treeSize, Data(checkpoint.root.bytes), checkpoint.timeMicros, checkpoint.keyID,
            checkpoint.signature,
        ])
        checkpointSize = size
        checkpointTimeMicros = time
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
            size, Data(lastHash.bytes), lastTimeMicros, Data(frontier.serialized), checkpointSize,
            checkpointTimeMicros,
        ])
    }
}
