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
    /// The tree size of the latest checkpoint as the store's head marker records it (0 before the
    /// first): a checkpoint of this size that is missing was deleted.
    public var checkpointSize: Int64

    /// A head.
    public init(
        size: Int64, lastHash: AuditHash, root: AuditHash, latestCheckpoint: AuditCheckpoint?, checkpointSize: Int64 = 0
    ) {
        self.size = size
        self.lastHash = lastHash
        self.root = root
        self.latestCheckpoint = latestCheckpoint
        self.checkpointSize = checkpointSize
    }
}
