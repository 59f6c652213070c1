import Foundation

/// One record of the append-only, hash-chained audit log.
///
/// `hash` is SHA-256(0x00 ‖ the canonical encoding of every other field) (docs/audit.md), which
/// includes `previousHash`; the first record's `previousHash` is ``AuditHash/zero``. The same
/// value is the record's leaf hash in the Merkle tree.
public struct AuditRecord: Sendable, Hashable {
    /// Position in the log, from 1, without gaps.
    public var seq: Int64
    /// When the record entered the log, in microseconds since 1970-01-01T00:00:00Z. Never
    /// decreases along the log.
    public var timeMicros: Int64
    /// What happened.
    public var kind: AuditKind
    /// The mutation it is about, if any.
    public var mutationID: String?
    /// Who did it or decided it.
    public var actor: String
    /// Canonical JSON text, hashed as these exact UTF-8 bytes.
    public var payload: String
    /// The policy version in force for this decision, if any.
    public var policyVersion: String?
    /// The previous record's `hash`.
    public var previousHash: AuditHash
    /// This record's hash.
    public var hash: AuditHash

    /// A record as read from a store or an export.
    public init(
        seq: Int64, timeMicros: Int64, kind: AuditKind, mutationID: String?, actor: String, payload: String,
        policyVersion: String?, previousHash: AuditHash, hash: AuditHash
    ) {
        self.seq = seq
        self.timeMicros = timeMicros
        self.kind = kind
        self.mutationID = mutationID
        self.actor = actor
        self.payload = payload
        self.policyVersion = policyVersion
        self.previousHash = previousHash
        self.hash = hash
    }

    /// `timeMicros` as a date.
    public var time: Date {
        Date(microsecondsSince1970: timeMicros)
    }

    /// The hash the fields of this record call for; equal to `hash` unless the record was altered.
    public var computedHash: AuditHash {
        var encoder = AuditRecordEncoder()
        return encoder.hash(
            seq: seq, timeMicros: timeMicros, kind: kind.rawValue, mutationID: mutationID, actor: actor,
            policyVersion: policyVersion, payload: payload, previousHash: previousHash)
    }
}

extension Date {
    /// The date `micros` microseconds after 1970-01-01T00:00:00Z.
    init(microsecondsSince1970 micros: Int64) {
        self.init(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// Microseconds since 1970-01-01T00:00:00Z, rounded to the nearest: how the store keeps time.
    var microsecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1_000_000).rounded())
    }
}
