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

extension Array where Element == Result<StoreReceipt, any Error> {
    /// The receipts of a group commit that signed `checkpoint` (if any), each carrying it; the
    /// failures as they are.
    func carrying(_ checkpoint: AuditCheckpoint?) -> Self {
        guard let checkpoint else { return self }
        return map { result in
            result.map { receipt in
                var receipt = receipt
                receipt.checkpoint = checkpoint
                return receipt
            }
        }
    }
}
