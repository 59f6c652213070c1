/// The end of the audit log as the store last wrote it.
public struct AuditHead: Sendable, Hashable {
    /// How many records there are (the last `seq`).
    public var size: Int64
    /// The last record's hash (``AuditHash/zero`` when empty).
    public var lastHash: AuditHash
    /// The Merkle root over all records.
    public var root: AuditHash
    /// The latest signed checkpoint, if any.
    public var latestCheckpoint: AuditCheckpoint?

    /// A head.
    public init(size: Int64, lastHash: AuditHash, root: AuditHash, latestCheckpoint: AuditCheckpoint?) {
        self.size = size
        self.lastHash = lastHash
        self.root = root
        self.latestCheckpoint = latestCheckpoint
    }
}
