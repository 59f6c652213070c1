import AirlockCore
import CEL

/// An applied change: which record, and its values before and after, by field. What a rollback
/// and a verification need, and what the gateway records in the `executed` audit entry
/// (``jsonValue``) so that a later rollback can rebuild it (``init(jsonValue:)``).
public struct ExecutedChange: Sendable {
    /// The mutation that made the change.
    public var mutationID: String
    /// The resource it changed.
    public var resource: String
    /// Create, update or delete.
    public var operation: Mutation.Operation
    /// The key of the record changed (for a create without a target, the key it was given).
    public var target: String
    /// The record's values before the change; `nil` for a create (there was no record).
    public var beforeImage: CELMap?
    /// The record's values after the change; `nil` for a delete.
    public var afterImage: CELMap?

    /// A change with every part given.
    public init(
        mutationID: String, resource: String, operation: Mutation.Operation, target: String, beforeImage: CELMap?,
        afterImage: CELMap?
    ) {
        self.mutationID = mutationID
        self.resource = resource
        self.operation = operation
        self.target = target
        self.beforeImage = beforeImage
        self.afterImage = afterImage
    }

    /// The change as a JSON object: `{mutation_id, resource, operation, target, before, after}`
    /// (an image is `null` when absent).
    public var jsonValue: Value {
        .map(
            CELMap([
                (.string("mutation_id"), .string(mutationID)),
                (.string("resource"), .string(resource)),
                (.string("operation"), .string(operation.rawValue)),
                (.string("target"), .string(target)),
                (.string("before"), beforeImage.map(Value.map) ?? .null),
                (.string("after"), afterImage.map(Value.map) ?? .null),
            ]))
    }

    /// Reads a change written by ``jsonValue``; `nil` when the value is not one.
    public init?(jsonValue value: Value) {
        guard case .map(let map) = value,
            case .string(let mutationID)? = map["mutation_id"],
            case .string(let resource)? = map["resource"],
            case .string(let operationName)? = map["operation"],
            let operation = Mutation.Operation(rawValue: operationName),
            case .string(let target)? = map["target"]
        else { return nil }
        func image(_ name: String) -> CELMap? {
            if case .map(let image)? = map[name] { return image }
            return nil
        }
        self.init(
            mutationID: mutationID, resource: resource, operation: operation, target: target,
            beforeImage: image("before"), afterImage: image("after"))
    }
}
