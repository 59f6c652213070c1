import Foundation

/// What went wrong in an audit log, at which sequence number.
public struct AuditProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of tampering (or damage) found.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A record's content no longer matches its hash, or it was rewritten with a new hash.
        case edited
        /// Records are missing from the middle of the log.
        case deleted
        /// Records are in another order than they were written.
        case reordered
        /// Records were added that the store did not write.
        case inserted
        /// Records are missing from the end of the log.
        case truncated
        /// A checkpoint's signature does not verify under the public key.
        case signatureMismatch = "signature_mismatch"
        /// A checkpoint is validly signed, but the records no longer hash to its root: the chain
        /// was recomputed after a change.
        case checkpointMismatch = "checkpoint_mismatch"
        /// A checkpoint the store recorded is gone.
        case checkpointMissing = "checkpoint_missing"
        /// A row cannot be read as an audit record (wrong hash length, …).
        case malformed
    }

    /// The kind.
    public var kind: Kind
    /// The first bad sequence number.
    public var seq: Int64
    /// What exactly was found, for a person.
    public var detail: String

    /// A problem.
    public init(_ kind: Kind, seq: Int64, _ detail: String) {
        self.kind = kind
        self.seq = seq
        self.detail = detail
    }

    public var description: String {
        "seq \(seq): \(kind.rawValue.replacingOccurrences(of: "_", with: " ")): \(detail)"
    }
}

/// The outcome of verifying an audit log: the chain, the Merkle tree and every checkpoint.
public struct AuditVerificationReport: Sendable, Hashable {
    /// How many records were read.
    public var recordCount: Int64
    /// How many checkpoints were read.
    public var checkpointCount: Int
    /// How many checkpoint signatures verified.
    public var validSignatures: Int
    /// The Merkle root over all records read.
    public var root: AuditHash
    /// The largest tree size a valid checkpoint covers (records after it are not signed yet).
    public var signedSize: Int64
    /// Problems, by sequence number; empty when the log is intact.
    public var problems: [AuditProblem]

    /// A report.
    public init(
        recordCount: Int64, checkpointCount: Int, validSignatures: Int, root: AuditHash, signedSize: Int64,
        problems: [AuditProblem]
    ) {
        self.recordCount = recordCount
        self.checkpointCount = checkpointCount
        self.validSignatures = validSignatures
        self.root = root
        self.signedSize = signedSize
        self.problems = problems
    }

    /// Whether nothing is wrong.
    public var isIntact: Bool { problems.isEmpty }

    /// The problem with the lowest sequence number.
    public var firstProblem: AuditProblem? { problems.first }
}
