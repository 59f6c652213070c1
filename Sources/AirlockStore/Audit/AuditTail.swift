import Foundation

/// The end of the audit log as a writer holds it inside one write transaction: the size, the last
/// record's hash and time, the Merkle frontier, and the latest checkpoint's size and time. Pure:
/// each store reads it from its `audit_head` row at the start of a transaction, appends through
/// it, and writes it back before the commit.
struct AuditTail: Sendable {
    private(set) var size: Int64
    private(set) var lastHash: AuditHash
    private(set) var lastTimeMicros: Int64
    private(set) var frontier: MerkleFrontier
    private(set) var checkpointSize: Int64
    private(set) var checkpointTimeMicros: Int64
    private var encoder = AuditRecordEncoder()

    /// The tail stored in a head row; throws ``StoreError/Code/corrupted`` when the stored hash or
    /// frontier does not read.
    init(
        size: Int64, lastHash: some Collection<UInt8>, lastTimeMicros: Int64, frontier: some Collection<UInt8>,
        checkpointSize: Int64, checkpointTimeMicros: Int64
    ) throws {
        guard let hash = Array(lastHash).withUnsafeBytes({ AuditHash(bytes: $0) }),
            let frontier = MerkleFrontier(size: size, serialized: Array(frontier))
        else {
            throw StoreError(.corrupted, "the audit head row is malformed; run `airlock audit verify`")
        }
        self.size = size
        self.lastHash = hash
        self.lastTimeMicros = lastTimeMicros
        self.frontier = frontier
        self.checkpointSize = checkpointSize
        self.checkpointTimeMicros = checkpointTimeMicros
    }

    /// The next record for `entry` at `timeMicros` (raised to the last record's time if the clock
    /// went back), now counted in the tail; the caller writes it.
    mutating func append(_ entry: AuditEntry, timeMicros: Int64) -> AuditRecord {
        let seq = size + 1
        let time = max(timeMicros, lastTimeMicros)
        let hash = encoder.hash(
            seq: seq, timeMicros: time, kind: entry.kind.rawValue, mutationID: entry.mutationID, actor: entry.actor,
            policyVersion: entry.policyVersion, payload: entry.payload, previousHash: lastHash)
        let previous = lastHash
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

    /// A checkpoint signed over the current tree, now counted as the latest; `nil` when every
    /// record is signed already. The caller writes it.
    mutating func signCheckpoint(with key: AuditSigningKey, timeMicros: Int64) throws -> AuditCheckpoint? {
        guard size > checkpointSize else { return nil }
        let time = max(timeMicros, lastTimeMicros)
        let checkpoint = try AuditCheckpoint(treeSize: size, root: frontier.root, timeMicros: time, signingKey: key)
        checkpointSize = size
        checkpointTimeMicros = time
        return checkpoint
    }
}
