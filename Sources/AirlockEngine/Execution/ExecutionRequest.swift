import AirlockCore
import CEL

/// What an executor is asked to do: one approved mutation of one record.
public struct ExecutionRequest: Sendable {
    /// The mutation's id: the idempotency key of the change in the target system.
    public var mutationID: String
    /// The resource, as the policy pack names it (`catalog.product`).
    public var resource: String
    /// Create, update or delete.
    public var operation: Mutation.Operation
    /// The record's key. A create without one makes a record keyed by ``mutationID``.
    public var target: String?
    /// The new values, field by field.
    public var changes: CELMap
    /// The values the decision saw (preconditions): each must still be the target's current
    /// value, or nothing is written. `nil` or empty: no preconditions.
    public var before: CELMap?

    /// A request with every part given.
    public init(
        mutationID: String, resource: String, operation: Mutation.Operation, target: String? = nil,
        changes: CELMap = CELMap(), before: CELMap? = nil
    ) {
        self.mutationID = mutationID
        self.resource = resource
        self.operation = operation
        self.target = target
        self.changes = changes
        self.before = before
    }

    /// The request of an approved single-record mutation.
    public init(mutationID: String, mutation: Mutation) {
        self.init(
            mutationID: mutationID, resource: mutation.resource, operation: mutation.operation,
            target: mutation.target, changes: mutation.changes, before: mutation.before)
    }

    /// The key the record has or will have: ``target``, or the mutation id for a create without one.
    public var key: String { target ?? mutationID }
}
