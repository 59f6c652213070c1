import CEL

extension Mutation {
    /// The keys of a mutation document.
    public static let jsonKeys = [
        "resource", "operation", "target", "targets", "changes", "before", "context", "idempotency_key",
    ]

    /// Reads a mutation from its JSON form (`{"resource": …, "operation": …, "target": …,
    /// "changes": {…}}`), reporting every structural problem. Field values are checked later,
    /// against the resource's schema.
    public init(jsonValue value: Value) throws(ValidationFailure) {
        let read = Self.read(jsonValue: value)
        guard read.issues.isEmpty, let mutation = read.mutation else { throw ValidationFailure(issues: read.issues) }
        self = mutation
    }

    /// Reads what it can of a mutation's JSON form: its structural problems, and the mutation
    /// made of the parts that are well formed whenever the resource and operation are (so that
    /// its changes can still be checked against the schema, and every problem reported at once).
    public static func read(jsonValue value: Value) -> (mutation: Mutation?, issues: [ValidationIssue]) {
        var reader = ObjectReader(value, what: "a mutation", allowed: Self.jsonKeys)
        let resource = reader.string("resource", required: true)
        let operation = reader.choice("operation", Operation.self, required: true)
        let target = reader.identifier("target")
        let targets = reader.identifiers("targets")
        let changes = reader.object("changes") ?? CELMap()
        let before = reader.object("before")
        let context = reader.object("context")
        let key = reader.string("idempotency_key")
        guard let resource, let operation else { return (nil, reader.issues) }
        let mutation = Mutation(
            resource: resource, operation: operation, target: target, targets: targets, changes: changes,
            before: before, context: context, idempotencyKey: key)
        return (mutation, reader.issues)
    }

    /// The JSON form, keys in a fixed order, absent parts left out.
    public var jsonValue: Value {
        var map = CELMap()
        map["resource"] = .string(resource)
        map["operation"] = .string(operation.rawValue)
        if let target { map["target"] = .string(target) }
        if let targets { map["targets"] = .list(targets.map(Value.string)) }
        map["changes"] = .map(changes)
        if let before { map["before"] = .map(before) }
        if let context { map["context"] = .map(context) }
        if let idempotencyKey { map["idempotency_key"] = .string(idempotencyKey) }
        return .map(map)
    }
}

extension Actor {
    /// Reads an actor from `{"id": …, "kind": "agent|service|human", "roles": […],
    /// "attributes": {…}}`.
    public init(jsonValue value: Value) throws(ValidationFailure) {
        var reader = ObjectReader(value, what: "an actor", allowed: ["id", "kind", "roles", "attributes"])
        let id = reader.string("id", required: true)
        let kind = reader.choice("kind", Kind.self, required: true)
        let roles = reader.identifiers("roles") ?? []
        let attributes = reader.object("attributes") ?? CELMap()
        guard reader.issues.isEmpty, let id, let kind else { throw ValidationFailure(issues: reader.issues) }
        self.init(id: id, kind: kind, roles: roles, attributes: attributes)
    }
}

extension SystemState {
    /// Reads `{"freeze": …, "queue_depth": …, "rollback_rate_1h": …}`; absent keys keep their
    /// defaults.
    public init(jsonValue value: Value) throws(ValidationFailure) {
        var reader = ObjectReader(value, what: "the system state", allowed: ["freeze", "queue_depth", "rollback_rate_1h"])
        self.init()
        if let freeze = reader.bool("freeze") { self.freeze = freeze }
        if let depth = reader.int("queue_depth") { queueDepth = depth }
        if let rate = reader.double("rollback_rate_1h") { rollbackRate1h = rate }
        guard reader.issues.isEmpty else { throw ValidationFailure(issues: reader.issues) }
    }
}
