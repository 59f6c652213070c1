import CEL

/// A proposed change to one record (or, in bulk, several records) of a resource.
///
/// The actor who proposes it is not part of the mutation: it is always the authenticated
/// principal, passed separately (``Actor``).
public struct Mutation: Sendable {
    /// What a mutation does to its record.
    public enum Operation: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
        case create
        case update
        case delete

        public var description: String { rawValue }
    }

    /// The resource name, as the policy pack declares it (`payments.transfer`).
    public var resource: String
    /// What the mutation does.
    public var operation: Operation
    /// The id of the record changed (update, delete; optional on create).
    public var target: String?
    /// The ids of the records changed by a bulk update or delete, instead of ``target``.
    public var targets: [String]?
    /// The new values, field by field (string keys).
    public var changes: CELMap
    /// The current values of the record, when the caller knows them.
    public var before: CELMap?
    /// Free context from the caller (ticket, conversation, tool call…); rules may read it.
    public var context: CELMap?
    /// The caller's key for deduplicating retries.
    public var idempotencyKey: String?

    public init(
        resource: String,
        operation: Operation,
        target: String? = nil,
        targets: [String]? = nil,
        changes: CELMap = CELMap(),
        before: CELMap? = nil,
        context: CELMap? = nil,
        idempotencyKey: String? = nil
    ) {
        self.resource = resource
        self.operation = operation
        self.target = target
        self.targets = targets
        self.changes = changes
        self.before = before
        self.context = context
        self.idempotencyKey = idempotencyKey
    }

    /// A mutation whose changes are given as a dictionary (keys are sorted into the map).
    public init(
        resource: String,
        operation: Operation,
        target: String? = nil,
        targets: [String]? = nil,
        changes: [String: Value],
        before: [String: Value]? = nil,
        context: [String: Value]? = nil,
        idempotencyKey: String? = nil
    ) {
        self.init(
            resource: resource, operation: operation, target: target, targets: targets,
            changes: CELMap(changes), before: before.map { CELMap($0) }, context: context.map { CELMap($0) },
            idempotencyKey: idempotencyKey)
    }

    /// The number of records the mutation touches: the size of ``targets``, else one.
    public var recordCount: Int { targets?.count ?? 1 }
}
