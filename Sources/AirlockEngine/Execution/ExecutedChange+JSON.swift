import AirlockCore
import CEL

extension ExecutedChange {
    /// The change as a JSON object. A single-record change keeps the form earlier versions wrote,
    /// `{mutation_id, resource, operation, target, before, after}`; a bulk one lists its records,
    /// `{mutation_id, resource, operation, records: [{target, before, after}, …]}`. An image is
    /// `null` when absent.
    public var jsonValue: Value {
        var map = CELMap([
            (.string("mutation_id"), .string(mutationID)),
            (.string("resource"), .string(resource)),
            (.string("operation"), .string(operation.rawValue)),
        ])
        if records.count == 1 {
            for (key, value) in Self.jsonEntries(records[0]) { map[key] = value }
        } else {
            map["records"] = .list(records.map { .map(CELMap(Self.jsonEntries($0))) })
        }
        return .map(map)
    }

    /// Reads a change written by ``jsonValue``, in either form; `nil` when the value is not one.
    public init?(jsonValue value: Value) {
        guard case .map(let map) = value,
            case .string(let mutationID)? = map["mutation_id"],
            case .string(let resource)? = map["resource"],
            case .string(let operationName)? = map["operation"],
            let operation = Mutation.Operation(rawValue: operationName)
        else { return nil }
        var records: [RecordChange] = []
        if case .list(let list)? = map["records"] {
            for element in list {
                guard case .map(let entry) = element, let record = Self.record(entry) else { return nil }
                records.append(record)
            }
        } else if let record = Self.record(map) {
            records = [record]
        }
        guard !records.isEmpty else { return nil }
        self.init(mutationID: mutationID, resource: resource, operation: operation, records: records)
    }

    private static func jsonEntries(_ record: RecordChange) -> [(MapKey, Value)] {
        [
            (.string("target"), .string(record.target)),
            (.string("before"), record.beforeImage.map(Value.map) ?? .null),
            (.string("after"), record.afterImage.map(Value.map) ?? .null),
        ]
    }

    /// `{target, before, after}`; `nil` without a string target.
    private static func record(_ map: CELMap) -> RecordChange? {
        guard case .string(let target)? = map["target"] else { return nil }
        func image(_ name: String) -> CELMap? {
            if case .map(let image)? = map[name] { return image }
            return nil
        }
        return RecordChange(target: target, beforeImage: image("before"), afterImage: image("after"))
    }
}
