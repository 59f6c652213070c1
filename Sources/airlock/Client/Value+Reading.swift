import CEL

/// Reading the server's JSON answers, which arrive as ``Value``s: a missing field, a null and a
/// field of the wrong type all read as absent, so a newer server's extra or changed fields never
/// break the client's tables.
extension Value {
    /// The field `name` of an object, or null.
    subscript(field name: String) -> Value {
        guard case .map(let map) = self else { return .null }
        return map[name] ?? .null
    }

    /// The string, if this is one.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number as an integer, if this is a whole number.
    var intValue: Int? {
        switch self {
        case .int(let n): Int(exactly: n)
        case .uint(let n): Int(exactly: n)
        case .double(let d): Int(exactly: d)
        default: nil
        }
    }

    /// The elements, or none if this is not a list.
    var listValue: [Value] {
        if case .list(let elements) = self { return elements }
        return []
    }

    /// The string elements of a list.
    var stringList: [String] { listValue.compactMap(\.stringValue) }

    /// The entries of an object with string keys, in the server's order.
    var fields: [(name: String, value: Value)] {
        guard case .map(let map) = self else { return [] }
        return map.entries.compactMap { entry in
            guard case .string(let name) = entry.key else { return nil }
            return (name, entry.value)
        }
    }

    /// The value as a person reads it in a table: strings bare, everything else as compact JSON.
    var displayText: String {
        switch self {
        case .string(let text): text
        case .null: "null"
        default: jsonString()
        }
    }
}
