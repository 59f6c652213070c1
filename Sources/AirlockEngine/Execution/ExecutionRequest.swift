import AirlockCore
import CEL

/// What an executor is asked to do: one approved mutation of one record, or of several (a bulk
/// mutation, whose `changes` and `before` apply to each record).
public struct ExecutionRequest: Sendable {
    /// The mutation's id: the idempotency key of the change in the target system.
    public var mutationID: String
    /// The resource, as the policy pack names it (`catalog.product`).
    public var resource: String
    /// Create, update or delete.
    public var operation: Mutation.Operation
    /// The keys of the records changed, in the mutation's order: one for a single-record
    /// mutation, several for a bulk one, none for a create without a target (which makes a record
    /// keyed by ``mutationID``).
    public var targets: [String]
    /// The new values, field by field; the same for every record.
    public var changes: CELMap
    /// The values the decision saw (preconditions): each must still be every record's current
    /// value, or nothing is written. `nil` or empty: no preconditions.
    public var before: CELMap?

    /// A request with every part given.
    public init(
        mutationID: String, resource: String, operation: Mutation.Operation, targets: [String],
        changes: CELMap = CELMap(), before: CELMap? = nil
    ) {
        self.mutationID = mutationID
        self.resource = resource
        self.operation = operation
        self.targets = targets
        self.changes = changes
        self.before = before
    }

    /// A request of one record (or, without a target, of a create keyed by the mutation id).
    public init(
        mutationID: String, resource: String, operation: Mutation.Operation, target: String? = nil,
        changes: CELMap = CELMap(), before: CELMap? = nil
    ) {
        self.init(
            mutationID: mutationID, resource: resource, operation: operation, targets: target.map { [$0] } ?? [],
            changes: changes, before: before)
    }

    /// The request of an approved mutation: its `targets` when it has them, else its `target`.
    public init(mutationID: String, mutation: Mutation) {
        self.init(
            mutationID: mutationID, resource: mutation.resource, operation: mutation.operation,
            targets: mutation.targets ?? mutation.target.map { [$0] } ?? [], changes: mutation.changes,
            before: mutation.before)
    }

    /// The key of a single-record request; `nil` for a create without a target and for a bulk
    /// request. Setting it makes the request a single-record one.
    public var target: String? {
        get { targets.count == 1 ? targets[0] : nil }
        set { targets = newValue.map { [$0] } ?? [] }
    }

    /// Whether the request changes more than one record.
    public var isBulk: Bool { targets.count > 1 }

    /// The keys the records have or will have: ``targets``, or the mutation id for a create
    /// without one.
    public var keys: [String] { targets.isEmpty ? [mutationID] : targets }

    /// The first key listed twice, if any.
    var repeatedKey: String? {
        var seen: Set<String> = []
        return keys.first { !seen.insert($0).inserted }
    }
}
