import AirlockCore
import CEL

/// An applied change: which records, and their values before and after, by field. What a
/// rollback and a verification need, and what the gateway records in the `executed` audit entry
/// (``jsonValue``) so that a later rollback can rebuild it (``init(jsonValue:)``).
///
/// A single-record mutation changes one record; a bulk one (`targets`) changes several, each
/// with its own images, in the order the mutation listed them.
public struct ExecutedChange: Sendable {
    /// The mutation that made the change.
    public var mutationID: String
    /// The resource it changed.
    public var resource: String
    /// Create, update or delete.
    public var operation: Mutation.Operation
    /// Every record changed, in the mutation's order; never empty.
    public var records: [RecordChange]

    /// A change of several records (or one).
    public init(mutationID: String, resource: String, operation: Mutation.Operation, records: [RecordChange]) {
        self.mutationID = mutationID
        self.resource = resource
        self.operation = operation
        self.records = records
    }

    /// A change of one record.
    public init(
        mutationID: String, resource: String, operation: Mutation.Operation, target: String, beforeImage: CELMap?,
        afterImage: CELMap?
    ) {
        self.init(
            mutationID: mutationID, resource: resource, operation: operation,
            records: [RecordChange(target: target, beforeImage: beforeImage, afterImage: afterImage)])
    }

    /// Whether the change touched more than one record.
    public var isBulk: Bool { records.count > 1 }

    /// The key of the first record: for a single-record change, the record changed.
    public var target: String { records.first?.target ?? "" }
    /// The first record's values before the change (see ``RecordChange/beforeImage``).
    public var beforeImage: CELMap? { records.first?.beforeImage }
    /// The first record's values after the change (see ``RecordChange/afterImage``).
    public var afterImage: CELMap? { records.first?.afterImage }
}
