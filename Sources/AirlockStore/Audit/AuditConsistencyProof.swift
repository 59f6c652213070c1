import Foundation

/// A proof that the audit log of `oldSize` records (a tree head someone kept: a witness line, an
/// earlier checkpoint) is a prefix of the log signed by a later checkpoint: RFC 6962 §2.1.2's
/// consistency proof. Checking it needs the old root and the signer's public key, not the
/// database (`airlock audit consistency OLD_SIZE` prints one).
public struct AuditConsistencyProof: Sendable, Hashable, Codable {
    /// The format tag, `airlock-audit-consistency-proof/v1`.
    public var format: String
    /// The size of the older tree.
    public var oldSize: Int64
    /// The older tree's root, as the log gives it now (compare it with the one you kept).
    public var oldRoot: AuditHash
    /// `PROOF(oldSize, D[checkpoint.treeSize])`.
    public var consistencyPath: [AuditHash]
    /// The signed checkpoint of the newer tree.
    public var checkpoint: AuditCheckpoint

    /// The current format tag.
    public static let currentFormat = "airlock-audit-consistency-proof/v1"

    /// A proof.
    public init(oldSize: Int64, oldRoot: AuditHash, consistencyPath: [AuditHash], checkpoint: AuditCheckpoint) {
        self.format = Self.currentFormat
        self.oldSize = oldSize
        self.oldRoot = oldRoot
        self.consistencyPath = consistencyPath
        self.checkpoint = checkpoint
    }

    /// Builds the proof from the hashes of records `1…checkpoint.treeSize`.
    ///
    /// - Throws: ``StoreError/Code/invalidArgument`` when `oldSize` is not within the checkpoint's
    ///   tree; ``StoreError/Code/corrupted`` when the hashes do not give the checkpoint's root.
    public init(oldSize: Int64, recordHashes: [AuditHash], checkpoint: AuditCheckpoint) throws {
        guard oldSize >= 1, oldSize <= checkpoint.treeSize else {
            throw StoreError(
                .invalidArgument,
                "the old size must be from 1 to the latest checkpoint's tree size (\(checkpoint.treeSize)); got \(oldSize)")
        }
        guard recordHashes.count == checkpoint.treeSize, MerkleTree.root(leafHashes: recordHashes[...]) == checkpoint.root
        else {
            throw StoreError(.corrupted, "the log no longer matches the checkpoint at tree size \(checkpoint.treeSize)")
        }
        self.init(
            oldSize: oldSize, oldRoot: MerkleTree.root(leafHashes: recordHashes[..<Int(oldSize)]),
            consistencyPath: MerkleTree.consistencyProof(oldSize: Int(oldSize), leafHashes: recordHashes[...]),
            checkpoint: checkpoint)
    }

    private enum CodingKeys: String, CodingKey {
        case format
        case oldSize = "old_size"
        case oldRoot = "old_root"
        case consistencyPath = "consistency_path"
        case checkpoint
    }

    /// Why a proof does not hold.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not a proof this build understands.
        case unknownFormat(String)
        /// The old root in the proof is not the one the verifier kept.
        case oldRootDiffers(proof: AuditHash, kept: AuditHash)
        /// The path does not lead from the old root to the checkpoint's root.
        case inconsistent(oldSize: Int64, newSize: Int64)
        /// The checkpoint's signature does not verify under the key.
        case signatureMismatch(keyID: String)

        public var description: String {
            switch self {
            case .unknownFormat(let format): "unknown proof format \(format.debugDescription)"
            case .oldRootDiffers(let proof, let kept):
                "the proof is from old root \(proof.hex), not from the root kept, \(kept.hex)"
            case .inconsistent(let oldSize, let newSize):
                "the consistency path does not show the tree of \(oldSize) records to be a prefix of the tree of "
                    + "\(newSize) records"
            case .signatureMismatch(let keyID): "the checkpoint's signature does not verify under key \(keyID)"
            }
        }
    }

    /// Checks the path from the old root to the checkpoint's root, and the checkpoint's
    /// signature; with `keptRoot`, that the old root is the one the verifier kept.
    public func verify(publicKey: AuditPublicKey, keptRoot: AuditHash? = nil) throws(Failure) {
        guard format == Self.currentFormat else { throw .unknownFormat(format) }
        if let keptRoot, keptRoot != oldRoot { throw .oldRootDiffers(proof: oldRoot, kept: keptRoot) }
        guard
            MerkleTree.isConsistent(
                oldSize: oldSize, oldRoot: oldRoot, newSize: checkpoint.treeSize, newRoot: checkpoint.root,
                proof: consistencyPath)
        else { throw .inconsistent(oldSize: oldSize, newSize: checkpoint.treeSize) }
        guard checkpoint.hasValidSignature(for: publicKey) else { throw .signatureMismatch(keyID: publicKey.keyID) }
    }
}

extension Store {
    /// A proof that the log's first `oldSize` records are a prefix of the tree the latest
    /// checkpoint signed (reads the record hashes up to it).
    ///
    /// - Throws: ``StoreError/Code/noCheckpoint`` before the first checkpoint;
    ///   ``StoreError/Code/invalidArgument`` for a size beyond it.
    public func consistencyProof(oldSize: Int64) async throws -> AuditConsistencyProof {
        guard let checkpoint = try await auditCheckpoints().last else {
            throw StoreError(.noCheckpoint, "no checkpoint has been signed yet; run `airlock audit checkpoint`")
        }
        guard oldSize >= 1, oldSize <= checkpoint.treeSize else {
            throw StoreError(
                .invalidArgument,
                "the old size must be from 1 to the latest checkpoint's tree size (\(checkpoint.treeSize)); got \(oldSize)"
                    + (oldSize > checkpoint.treeSize ? " (run `airlock audit checkpoint` to sign the records since)" : ""))
        }
        var hashes: [AuditHash] = []
        hashes.reserveCapacity(Int(checkpoint.treeSize))
        var after: Int64 = 0
        while after < checkpoint.treeSize {
            let page = try await auditRecords(after: after, limit: Int(min(10_000, checkpoint.treeSize - after)))
            guard let last = page.last else { break }
            for record in page {
                guard record.seq == Int64(hashes.count) + 1 else {
                    throw StoreError(.corrupted, "the log skips from seq \(hashes.count) to \(record.seq); run `airlock audit verify`")
                }
                hashes.append(record.hash)
            }
            after = last.seq
        }
        return try AuditConsistencyProof(oldSize: oldSize, recordHashes: hashes, checkpoint: checkpoint)
    }
}
