/// Verification and proofs over records already in memory, for store implementations other than
/// SQLite (which streams rows straight from the database) and for tools.
extension AuditVerificationReport {
    /// Verifies `records` (the whole log, in `seq` order) and `checkpoints` exactly as a store's
    /// ``Store/verifyAudit(publicKey:)`` does.
    ///
    /// - Parameter expectedSize: the store's own record of where the log ends, if it keeps one
    ///   (to notice a truncated or extended unsigned tail).
    public static func verifying(
        records: [AuditRecord], checkpoints: [AuditCheckpoint], publicKey: AuditPublicKey,
        expectedSize: Int64? = nil, expectedCheckpointSize: Int64? = nil
    ) -> AuditVerificationReport {
        let head = expectedSize.map { AuditHeadMarker(size: $0, checkpointSize: expectedCheckpointSize ?? 0) }
        let verifier = AuditVerifier(checkpoints: checkpoints, publicKey: publicKey, head: head)
        // An in-memory source cannot fail.
        return try! verifier.verify(AuditRecordArray(records: records))
    }
}

extension AuditInclusionProof {
    /// Builds the proof that `record` is in the tree over `recordHashes` (the hashes of records
    /// `1…checkpoint.treeSize`, in order) that `checkpoint` signed.
    ///
    /// - Throws: ``StoreError/Code/corrupted`` when the hashes do not give the checkpoint's root or
    ///   do not hold the record; ``StoreError/Code/noCheckpoint`` when the checkpoint does not
    ///   cover the record.
    public init(record: AuditRecord, recordHashes: [AuditHash], checkpoint: AuditCheckpoint) throws {
        guard record.seq >= 1, record.seq <= checkpoint.treeSize else {
            throw StoreError(
                .noCheckpoint,
                "record \(record.seq) is not covered by the checkpoint at tree size \(checkpoint.treeSize)")
        }
        let leaves = recordHashes
        guard leaves.count == checkpoint.treeSize, recordHashes[Int(record.seq - 1)] == record.hash,
            MerkleTree.root(leafHashes: leaves[...]) == checkpoint.root
        else {
            throw StoreError(.corrupted, "the log no longer matches the checkpoint at tree size \(checkpoint.treeSize)")
        }
        self.init(
            record: record, auditPath: MerkleTree.inclusionPath(index: Int(record.seq - 1), leafHashes: leaves[...]),
            checkpoint: checkpoint)
    }
}

/// Records in memory as a row source.
struct AuditRecordArray: AuditRowSource {
    let records: [AuditRecord]

    func forEachRow<Visitor: AuditRowVisitor>(_ visitor: inout Visitor) throws {
        for record in records {
            let proceed = record.withRowView { visitor.visit($0) }
            if !proceed { return }
        }
    }
}
