import CEL

/// The CEL declarations conditions are checked against: the variables rules see and their types,
/// with `mutation.changes` and `mutation.before` typed by the resources in the rule's scope, so
/// that a misspelt field is a check error.
struct PolicyEnvironment {
    var classes: [String]
    var listTypes: [(String, CELType)]
    var resources: [String: ResourceSchema]
    var resourceOrder: [String]

    /// The variable names, as documented in docs/policy.md.
    static let variableNames = ["mutation", "actor", "data", "signals", "system", "lists", "classes", "now"]

    /// The environment of a rule scoped to `scope` (every resource when `nil`).
    func environment(for scope: [String]?) -> Environment {
        let names = scope ?? resourceOrder
        var fields: [String: CELType] = [:]
        for name in names {
            guard let schema = resources[name] else { continue }
            for field in schema.orderedFields {
                let type = field.type.celType
                if let existing = fields[field.name], existing != type {
                    fields[field.name] = .dyn
                } else {
                    fields[field.name] = type
                }
            }
        }
        let shapeName = names.count == 1 ? names[0] : "mutation"
        let changes = CELType.object(ObjectShape(name: "\(shapeName).changes", fields: fields))
        let before = CELType.object(ObjectShape(name: "\(shapeName).before", fields: fields))
        let mutation = CELType.object(
            ObjectShape(
                name: "mutation",
                fields: [
                    "resource": .string, "operation": .string, "target": .dyn, "targets": .list(.string),
                    "changes": changes, "before": before, "context": .map(key: .string, value: .dyn),
                    "idempotency_key": .dyn,
                ]))
        var lists: [String: CELType] = [:]
        for (name, type) in listTypes { lists[name] = type }
        var classRanks: [String: CELType] = [:]
        for name in classes { classRanks[name] = .int }
        return Environment(variables: [
            "mutation": mutation,
            "actor": Self.actorType,
            "data": Self.dataType,
            "signals": Self.signalsType,
            "system": Self.systemType,
            "lists": .object(ObjectShape(name: "lists", fields: lists)),
            "classes": .object(ObjectShape(name: "classes", fields: classRanks)),
            "now": .timestamp,
        ])
    }

    static let actorType = CELType.object(
        ObjectShape(
            name: "actor",
            fields: ["id": .string, "kind": .string, "roles": .list(.string), "attributes": .map(key: .string, value: .dyn)]
        ))

    static let dataType = CELType.object(
        ObjectShape(
            name: "data",
            fields: [
                "classes": .list(.string), "max_class": .string, "max_rank": .int, "records": .int, "reversible": .bool,
            ]))

    static let signalsType = CELType.object(
        ObjectShape(
            name: "signals",
            fields: [
                "amount_zscore": .double, "resource_amount_zscore": .double, "zscores": .map(key: .string, value: .double),
                "actor_rate_1m": .int, "actor_rate_1h": .int, "first_time": .bool,
                "first_seen": .map(key: .string, value: .bool), "off_hours": .bool,
            ]))

    static let systemType = CELType.object(
        ObjectShape(name: "system", fields: ["freeze": .bool, "queue_depth": .int, "rollback_rate_1h": .double]))
}
