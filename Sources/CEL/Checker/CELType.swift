/// A type as the checker sees it.
public indirect enum CELType: Sendable, Hashable, CustomStringConvertible {
    case dyn
    case null
    case bool
    case int
    case uint
    case double
    case string
    case bytes
    case timestamp
    case duration
    case list(CELType)
    case map(key: CELType, value: CELType)
    /// The type of a type value: `type(int)` is `type`.
    case type(CELType)
    /// An object with known fields (at runtime a map with string keys).
    case object(ObjectShape)
    /// A type parameter of an overload, bound during checking.
    case typeParam(String)
    /// The result of an expression that has a type error already reported.
    case error

    public var description: String {
        switch self {
        case .dyn: "dyn"
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .timestamp: "google.protobuf.Timestamp"
        case .duration: "google.protobuf.Duration"
        case .list(let element): "list(\(element))"
        case .map(let key, let value): "map(\(key), \(value))"
        case .type(let type): "type(\(type))"
        case .object(let shape): shape.name
        case .typeParam(let name): name
        case .error: "*error*"
        }
    }
}

/// The shape of an object: its name and the types of its known fields. Reading a field that the
/// shape does not declare is a check error, unless the shape is open (then it is `dyn`).
public struct ObjectShape: Sendable, Hashable {
    /// The name shown in messages (`payments.transfer.changes`).
    public var name: String
    /// The declared fields.
    public var fields: [String: CELType]
    /// Whether fields beyond the declared ones may exist (typed `dyn`).
    public var isOpen: Bool

    public init(name: String, fields: [String: CELType], isOpen: Bool = false) {
        self.name = name
        self.fields = fields
        self.isOpen = isOpen
    }
}
