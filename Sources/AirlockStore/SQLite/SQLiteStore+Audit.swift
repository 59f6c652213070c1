import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    static let auditColumns = "seq, time_us, kind, mutation_id, actor, policy_version, payload, prev_hash, hash"

    public func auditHead() async throws -> AuditHead {
        try await writer.read { db in
            let appender = try AuditAppender(db: db)
            return AuditHead(
                size: appender.size, lastHash: appender.lastHash, root: appender.frontier.root,
                latestCheckpoint: try Self.latestCheckpoint(db), checkpointSize: appender.tail.checkpointSize)
        }
    }

    public func auditRecords(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.auditColumns) FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [seq, max(0, limit)]
            ).map(Self.auditRecord(row:))
        }
    }

    public func auditRecords(mutationID: String) async throws -> [AuditRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.auditColumns) FROM audit_log WHERE mutation_id = ? ORDER BY seq",
                arguments: [mutationID]
            ).map(Self.auditRecord(row:))
        }
    }

    public func firstAuditSeq(atOrAfter time: Date) async throws -> Int64? {
        // Record times never decrease along the log, so a binary search over seq finds it.
        let target = time.microsecondsSince1970
        return try await writer.read { db in
            let size = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM audit_log")) ?? 0
            let statement = try db.cachedStatement(sql: "SELECT time_us FROM audit_log WHERE seq = ?")
            var low: Int64 = 1
            var high = size + 1
            while low < high {
                let middle = low + (high - low) / 2
                let micros = try Int64.fetchOne(statement, arguments: [middle]) ?? Int64.max
                if micros < target { low = middle + 1 } else { high = middle }
            }
            return low <= size ? low : nil
        }
    }

    public func auditCheckpoints() async throws -> [AuditCheckpoint] {
        try await writer.read { db in try Self.checkpoints(db) }
    }

    public func verifyAudit(publicKey: AuditPublicKey) async throws -> AuditVerificationReport {
        // The witness first: a checkpoint appended to it after the snapshot below is read would
        // otherwise look like one the log lost.
        let witness = try configuration.witness.map { (contents: try $0.read(), path: $0.url.path) }
        return try await writer.read { db in
            let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT size, checkpoint_size FROM audit_head WHERE id = 1")).map {
                AuditHeadMarker(size: $0[0], checkpointSize: $0[1])
            }
            var verifier = AuditVerifier(checkpoints: try Self.checkpoints(db), publicKey: publicKey, head: head)
            verifier.headRequired = true
            if configuration.signingKey != nil { verifier.checkpointEvery = configuration.checkpointEvery }
            verifier.witness = witness
            return try verifier.verify(SQLiteAuditRows(db: db))
        }
    }

    public func inclusionProof(seq: Int64) async throws -> AuditInclusionProof {
        try await writer.read { db in
            guard let checkpoint = try Self.latestCheckpoint(db) else {
                throw StoreError(.noCheckpoint, "no checkpoint has been signed yet; run `airlock audit checkpoint`")
            }
            guard seq >= 1, seq <= checkpoint.treeSize else {
                throw StoreError(
                    seq >= 1 ? .noCheckpoint : .invalidArgument,
                    "record \(seq) is not covered by the latest checkpoint (tree size \(checkpoint.treeSize)); "
                        + "run `airlock audit checkpoint` to sign the records since")
            }
            var leaves: [AuditHash] = []
            leaves.reserveCapacity(Int(checkpoint.treeSize))
            let cursor = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT hash FROM audit_log WHERE seq <= ? ORDER BY seq"), arguments: [checkpoint.treeSize])
            while let row = try cursor.next() {
                guard let hash = try row.withUnsafeData(atIndex: 0, { $0.flatMap(Self.hash(data:)) }) else {
                    throw StoreError(.corrupted, "a record hash is malformed; run `airlock audit verify`")
                }
                leaves.append(hash)
            }
            guard leaves.count == checkpoint.treeSize,
                MerkleTree.root(leafHashes: leaves[...]) == checkpoint.root,
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(Self.auditColumns) FROM audit_log WHERE seq = ?", arguments: [seq])
            else {
                throw StoreError(
                    .corrupted, "the log no longer matches its latest checkpoint; run `airlock audit verify`")
            }
            return AuditInclusionProof(
                record: try Self.auditRecord(row: row),
                auditPath: MerkleTree.inclusionPath(index: Int(seq - 1), leafHashes: leaves[...]),
                checkpoint: checkpoint)
        }
    }

    // MARK: Rows

    static func latestCheckpoint(_ db: Database) throws -> AuditCheckpoint? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT tree_size, root, time_us, key_id, signature FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1")
        ).map(checkpoint(row:))
    }

    static func checkpoints(_ db: Database) throws -> [AuditCheckpoint] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT tree_size, root, time_us, key_id, signature FROM audit_checkpoints ORDER BY tree_size")
        ).map(checkpoint(row:))
    }

    private static func checkpoint(row: Row) throws -> AuditCheckpoint {
        let rootData: Data = row[1]
        guard let root = hash(data: rootData) else {
            throw StoreError(.corrupted, "the checkpoint at tree size \(row[0] as Int64) has a malformed root")
        }
        return AuditCheckpoint(treeSize: row[0], root: root, timeMicros: row[2], keyID: row[3], signature: row[4])
    }

    static func auditRecord(row: Row) throws -> AuditRecord {
        let previous: Data = row[7]
        let hash: Data = row[8]
        guard let previousHash = Self.hash(data: previous), let recordHash = Self.hash(data: hash) else {
            throw StoreError(.corrupted, "audit record \(row[0] as Int64) has a malformed hash")
        }
        return AuditRecord(
            seq: row[0], timeMicros: row[1], kind: AuditKind(rawValue: row[2]), mutationID: row[3], actor: row[4],
            payload: row[6], policyVersion: row[5], previousHash: previousHash, hash: recordHash)
    }

    static func hash(data: Data) -> AuditHash? {
        data.withUnsafeBytes { AuditHash(bytes: $0) }
    }
}

/// The audit log of a SQLite database as a stream of raw rows, read straight from SQLite's
/// column buffers without copying.
struct SQLiteAuditRows: AuditRowSource {
    let db: Database

    func forEachRow<Visitor: AuditRowVisitor>(_ visitor: inout Visitor) throws {
        let statement = try db.makeStatement(sql: "SELECT \(SQLiteStore.auditColumns) FROM audit_log ORDER BY seq")
        let cursor = try Row.fetchCursor(statement)
        let sqlite = statement.sqliteStatement
        while try cursor.next() != nil {
            let row = AuditRowView(
                seq: sqlite3_column_int64(sqlite, 0), timeMicros: sqlite3_column_int64(sqlite, 1),
                kind: Self.bytes(sqlite, 2), mutationID: Self.optionalBytes(sqlite, 3), actor: Self.bytes(sqlite, 4),
                policyVersion: Self.optionalBytes(sqlite, 5), payload: Self.bytes(sqlite, 6),
                previousHash: Self.bytes(sqlite, 7), hash: Self.bytes(sqlite, 8))
            if !visitor.visit(row) { return }
        }
    }

    /// The bytes of a NOT NULL column (text or blob). Valid until the cursor moves.
    private static func bytes(_ statement: OpaquePointer, _ column: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_blob(statement, column)
        return UnsafeRawBufferPointer(
            start: pointer, count: pointer == nil ? 0 : Int(sqlite3_column_bytes(statement, column)))
    }

    /// The bytes of a column that may be NULL (`nil` then).
    private static func optionalBytes(_ statement: OpaquePointer, _ column: Int32) -> UnsafeRawBufferPointer? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : bytes(statement, column)
    }
}
