import Foundation
import NIOCore
import PostgresNIO

/// The audit log of the PostgreSQL store: the same records, checkpoints and checks as SQLite's.
extension PostgresStore {
    static let auditColumns = "seq, time_us, kind, mutation_id, actor, policy_version, payload, prev_hash, hash"

    public func auditHead() async throws -> AuditHead {
        do {
            return try await client.withConnection { connection in
                let tail = try await Self.readTail(connection, logger: logger, lock: false)
                let latest = try await connection.query(
                    "SELECT tree_size, root, time_us, key_id, signature FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1",
                    logger: logger
                ).collect().first.map(Self.checkpoint(row:))
                return AuditHead(
                    size: tail.size, lastHash: tail.lastHash, root: tail.frontier.root, latestCheckpoint: latest,
                    checkpointSize: tail.checkpointSize)
            }
        } catch {
            throw Self.storeError(error, describe: describe)
        }
    }

    public func auditRecords(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await rows(
            "SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE seq > \(seq) ORDER BY seq LIMIT \(Int64(max(0, limit)))"
        ).map(Self.auditRecord(row:))
    }

    public func auditRecords(mutationID: String) async throws -> [AuditRecord] {
        try await rows("SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE mutation_id = \(mutationID) ORDER BY seq")
            .map(Self.auditRecord(row:))
    }

    public func firstAuditSeq(atOrAfter time: Date) async throws -> Int64? {
        // Record times never decrease along the log, so the first at or after `time` by seq is it.
        try await rows("SELECT MIN(seq) FROM audit_log WHERE time_us >= \(time.microsecondsSince1970)").first?.decode(Int64?.self)
    }

    public func auditCheckpoints() async throws -> [AuditCheckpoint] {
        try await rows("SELECT tree_size, root, time_us, key_id, signature FROM audit_checkpoints ORDER BY tree_size")
            .map(Self.checkpoint(row:))
    }

    public func verifyAudit(publicKey: AuditPublicKey) async throws -> AuditVerificationReport {
        // The head, the checkpoints and the records from one snapshot: another instance appending
        // meanwhile must not look like records the store never wrote. The records are read a page
        // at a time (``PostgresAuditPages``), not the whole log at once.
        let signs = configuration.signingKey != nil
        let checkpointEvery = configuration.checkpointEvery
        let pageSize = configuration.verificationPageSize
        let witness = try configuration.witness.map { (contents: try $0.read(), path: $0.url.path) }
        do {
            return try await client.withConnection { connection in
                try await connection.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    let head = try await connection.run("SELECT size, checkpoint_size FROM audit_head WHERE id = 1", logger: logger)
                        .first.map { row in
                            let (size, checkpointSize) = try row.decode((Int64, Int64).self)
                            return AuditHeadMarker(size: size, checkpointSize: checkpointSize)
                        }
                    let checkpoints = try await connection.run(
                        "SELECT tree_size, root, time_us, key_id, signature FROM audit_checkpoints ORDER BY tree_size", logger: logger
                    ).map(Self.checkpoint(row:))
                    var verifier = AuditVerifier(checkpoints: checkpoints, publicKey: publicKey, head: head)
                    verifier.headRequired = true
                    if signs { verifier.checkpointEvery = checkpointEvery }
                    verifier.witness = witness
                    let report = try await PostgresAuditPages(connection: connection, logger: logger, pageSize: pageSize).verify(verifier)
                    try await connection.run("COMMIT", logger: logger)
                    return report
                } catch {
                    await connection.rollBack(logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.storeError(error, describe: describe)
        }
    }

    public func inclusionProof(seq: Int64) async throws -> AuditInclusionProof {
        guard let checkpoint = try await auditCheckpoints().last else {
            throw StoreError(.noCheckpoint, "no checkpoint has been signed yet; run `airlock audit checkpoint`")
        }
        guard seq >= 1, seq <= checkpoint.treeSize else {
            throw StoreError(
                seq >= 1 ? .noCheckpoint : .invalidArgument,
                "record \(seq) is not covered by the latest checkpoint (tree size \(checkpoint.treeSize)); "
                    + "run `airlock audit checkpoint` to sign the records since")
        }
        // The leaves are the records' hashes: 32 bytes a record, read in pages.
        var leaves: [AuditHash] = []
        leaves.reserveCapacity(Int(checkpoint.treeSize))
        var after: Int64 = 0
        while after < checkpoint.treeSize {
            let page = try await rows(
                "SELECT seq, hash FROM audit_log WHERE seq > \(after) AND seq <= \(checkpoint.treeSize) ORDER BY seq LIMIT 100000")
            for row in page {
                let (seq, bytes) = try row.decode((Int64, ByteBuffer).self)
                guard let hash = Self.hash(bytes) else {
                    throw StoreError(.corrupted, "audit record \(seq) has a malformed hash; run `airlock audit verify`")
                }
                leaves.append(hash)
                after = seq
            }
            if page.isEmpty { break }
        }
        guard leaves.count == checkpoint.treeSize, MerkleTree.root(leafHashes: leaves[...]) == checkpoint.root,
            let record = try await rows("SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE seq = \(seq)").first
                .map(Self.auditRecord(row:))
        else {
            throw StoreError(.corrupted, "the log no longer matches its latest checkpoint; run `airlock audit verify`")
        }
        return AuditInclusionProof(
            record: record, auditPath: MerkleTree.inclusionPath(index: Int(seq - 1), leafHashes: leaves[...]),
            checkpoint: checkpoint)
    }

    /// Refuses a signing key other than the database's: every instance on the database must sign
    /// with the same key, or verification under the key verifiers pin fails.
    ///
    /// The first instance that opens the database with a key records its id
    /// (`system_settings.audit_signing_key`, so two instances started at once with different
    /// keys cannot both go on); a log signed before that record existed is held to the key of
    /// its latest checkpoint.
    public func checkSigningKey() async throws {
        guard let key = configuration.signingKey else { return }
        let recorded: String
        if let latest = try await rows("SELECT key_id FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1").first {
            let signedBy = try latest.decode(String.self)
            guard signedBy == key.keyID else { throw Self.otherKey(signedBy, held: key, describe: describe, what: "signed with") }
        }
        _ = try await rows(
            """
            INSERT INTO system_settings (key, value, updated_at, updated_by)
            VALUES ('audit_signing_key', \(key.keyID), \(configuration.now().microsecondsSince1970), 'airlock')
            ON CONFLICT (key) DO NOTHING
            """)
        recorded = try await rows("SELECT value FROM system_settings WHERE key = 'audit_signing_key'").first?.decode(String.self) ?? key.keyID
        guard recorded == key.keyID else { throw Self.otherKey(recorded, held: key, describe: describe, what: "kept for") }
    }

    private static func otherKey(_ other: String, held key: AuditSigningKey, describe: String, what: String) -> StoreError {
        StoreError(
            .signingKeyUnavailable,
            "the audit log in \(describe) is \(what) key \(other), but this instance holds key \(key.keyID): give every "
                + "instance the same audit signing key (copy the state directory's key file)")
    }

    // MARK: Rows

    static func checkpoint(row: PostgresRow) throws -> AuditCheckpoint {
        let (size, root, time, keyID, signature) = try row.decode((Int64, ByteBuffer, Int64, String, ByteBuffer).self)
        guard let hash = hash(root) else {
            throw StoreError(.corrupted, "the checkpoint at tree size \(size) has a malformed root")
        }
        return AuditCheckpoint(treeSize: size, root: hash, timeMicros: time, keyID: keyID, signature: Data(signature.readableBytesView))
    }

    static func auditRecord(row: PostgresRow) throws -> AuditRecord {
        let (seq, time, kind, mutationID, actor, policyVersion, payload, previous, hash) =
            try row.decode((Int64, Int64, String, String?, String, String?, String, ByteBuffer, ByteBuffer).self)
        guard let previousHash = Self.hash(previous), let recordHash = Self.hash(hash) else {
            throw StoreError(.corrupted, "audit record \(seq) has a malformed hash")
        }
        return AuditRecord(
            seq: seq, timeMicros: time, kind: AuditKind(rawValue: kind), mutationID: mutationID, actor: actor, payload: payload,
            policyVersion: policyVersion, previousHash: previousHash, hash: recordHash)
    }

    static func hash(_ buffer: ByteBuffer) -> AuditHash? {
        buffer.withUnsafeReadableBytes { AuditHash(bytes: $0) }
    }
}
