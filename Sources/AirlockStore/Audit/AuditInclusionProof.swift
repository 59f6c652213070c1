import Foundation

/// A proof that one record is in the audit log as signed by a checkpoint: the record, its audit
/// path in the Merkle tree (RFC 6962 §2.1.1) and the checkpoint. Checking it needs only the
/// checkpoint signer's public key, not the database: what an external auditor runs
/// (`airlock audit verify-proof`).
public struct AuditInclusionProof: Sendable, Hashable, Codable {
    /// The format tag, `airlock-audit-inclusion-proof/v1`.
    public var format: String
    /// The record.
    public var record: AuditRecord
    /// Its leaf index, `seq - 1`.
    public var leafIndex: Int64
    /// The sibling hashes from the leaf up to the root.
    public var auditPath: [AuditHash]
    /// The signed checkpoint whose tree holds the record.
    public var checkpoint: AuditCheckpoint

    /// The current format tag.
    public static let currentFormat = "airlock-audit-inclusion-proof/v1"

    /// A proof.
    public init(record: AuditRecord, auditPath: [AuditHash], checkpoint: AuditCheckpoint) {
        self.format = Self.currentFormat
        self.record = record
        self.leafIndex = record.seq - 1
        self.auditPath = auditPath
        self.checkpoint = checkpoint
    }

    private enum CodingKeys: String, CodingKey {
        case format
        case record
        case leafIndex = "leaf_index"
        case auditPath = "audit_path"
        case checkpoint
    }

    /// Why a proof does not hold.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not a proof this build understands.
        case unknownFormat(String)
        /// The record's fields do not hash to its `hash`.
        case recordAltered(seq: Int64)
        /// The leaf index does not match the record's `seq`, or lies outside the tree.
        case wrongIndex(leafIndex: Int64, seq: Int64, treeSize: Int64)
        /// The audit path does not lead to the checkpoint's root.
        case rootMismatch(computed: AuditHash?, signed: AuditHash)
        /// The checkpoint's signature does not verify under the key.
        case signatureMismatch(keyID: String)

        public var description: String {
            switch self {
            case .unknownFormat(let format): "unknown proof format \(format.debugDescription)"
            case .recordAltered(let seq): "record \(seq): its fields do not hash to its hash (it was altered)"
            case .wrongIndex(let index, let seq, let size):
                "leaf index \(index) does not fit record \(seq) in a tree of \(size) records"
            case .rootMismatch(let computed, let signed):
                "the audit path leads to \(computed?.hex ?? "no root (wrong length)"), not to the signed root "
                    + signed.hex
            case .signatureMismatch(let keyID):
                "the checkpoint's signature does not verify under key \(keyID)"
            }
        }
    }

    /// Checks the record's hash, the path to the checkpoint's root, and the checkpoint's signature.
    public func verify(publicKey: AuditPublicKey) throws(Failure) {
        guard format == Self.currentFormat else { throw .unknownFormat(format) }
        guard record.computedHash == record.hash else { throw .recordAltered(seq: record.seq) }
        guard leafIndex == record.seq - 1, leafIndex < checkpoint.treeSize else {
            throw .wrongIndex(leafIndex: leafIndex, seq: record.seq, treeSize: checkpoint.treeSize)
        }
        let computed = MerkleTree.root(
            fromLeafHash: record.hash, index: leafIndex, treeSize: checkpoint.treeSize,
            path: auditPath)
        guard computed == checkpoint.root else { throw .rootMismatch(computed: computed, signed: checkpoint.root) }
        guard checkpoint.hasValidSignature(for: publicKey) else {
            throw .signatureMismatch(keyID: publicKey.keyID)
        }
    }
}
