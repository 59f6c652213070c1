import CEL

extension ResourceSchema {
    /// The JSON Schema (2020-12) of a mutation's `changes` for this resource: each field's type,
    /// range, length, pattern and allowed values, and its data class (`x-data-class`), so a model
    /// proposing a mutation sees what it may write. `required` lists the fields a create needs.
    public var changesJSONSchema: Value {
        var properties = CELMap()
        for field in orderedFields {
            properties[field.name] = field.jsonSchema
        }
        var schema = CELMap()
        schema["type"] = .string("object")
        schema["properties"] = .map(properties)
        schema["additionalProperties"] = .bool(false)
        let required = orderedFields.filter(\.required).map { Value.string($0.name) }
        if !required.isEmpty { schema["required"] = .list(required) }
        return .map(schema)
    }

    /// What a model needs to know of the resource: its operations, whether it can be undone, and
    /// its fields' schema.
    public var catalogEntry: Value {
        var entry = CELMap()
        entry["name"] = .string(name)
        if let description { entry["description"] = .string(description) }
        entry["operations"] = .list(operations.map { .string($0.rawValue) })
        entry["reversible"] = .bool(reversible)
        entry["changes"] = changesJSONSchema
        return .map(entry)
    }
}

extension FieldSchema {
    /// The field's JSON Schema.
    public var jsonSchema: Value {
        var schema = CELMap()
        switch type {
        case .string: schema["type"] = .string("string")
        case .number: schema["type"] = .string("number")
        case .integer: schema["type"] = .string("integer")
        case .boolean: schema["type"] = .string("boolean")
        case .any: break
        }
        if let description { schema["description"] = .string(description) }
        if let minimum { schema["minimum"] = .double(minimum) }
        if let maximum { schema["maximum"] = .double(maximum) }
        if let minLength { schema["minLength"] = .int(Int64(minLength)) }
        if let maxLength { schema["maxLength"] = .int(Int64(maxLength)) }
        if let pattern { schema["pattern"] = .string(pattern) }
        if let allowed { schema["enum"] = .list(allowed) }
        if let dataClass { schema["x-data-class"] = .string(dataClass) }
        return .map(schema)
    }
}

extension PolicyPack {
    /// Every resource of the pack, in pack order, as ``ResourceSchema/catalogEntry``.
    public var resourceCatalog: Value {
        .list(resourceOrder.compactMap { resources[$0]?.catalogEntry })
    }
}
