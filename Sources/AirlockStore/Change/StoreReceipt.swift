/// What a durable ``StoreChange`` produced.
public struct StoreReceipt: Sendable, Hashable {
    /// The audit records the change appended, in order.
    public var auditRecords: [AuditRecord]
    /// The checkpoint signed in the same transaction, if one fell due.
    public var checkpoint: AuditCheckpoint?

    /// A receipt.
    public init(auditRecords: [AuditRecord], checkpoint: AuditCheckpoint?) {
        self.auditRecords = auditRecords
        self.checkpoint = checkpoint
    }

    /// The sequence number of the change's last audit record.
    public var lastSeq: Int64? { auditRecords.last?.seq }
}
