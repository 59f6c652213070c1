/// What the checker asks of types.
extension CELType {
    /// Whether the type is, or is built from, the type of an expression already in error.
    var containsError: Bool {
        switch self {
        case .error: true
        case .list(let element): element.containsError
        case .map(let key, let value): key.containsError || value.containsError
        case .type(let inner): inner.containsError
        default: false
        }
    }

    /// Whether `null` is among the values of the type: objects may be null, as messages may.
    var isNullable: Bool {
        switch self {
        case .null, .object, .dyn, .error, .typeParam: true
        default: false
        }
    }

    /// The type as messages show it: as a person writes it in CEL (`timestamp`, not
    /// `google.protobuf.Timestamp`).
    var displayText: String {
        switch self {
        case .timestamp: "timestamp"
        case .duration: "duration"
        case .list(let element): "list(\(element.displayText))"
        case .map(let key, let value): "map(\(key.displayText), \(value.displayText))"
        case .type(let inner): "type(\(inner.displayText))"
        default: description
        }
    }
}
