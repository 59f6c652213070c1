/// A CEL value. Host code builds activations from these directly, or from JSON
/// (``Value/init(json:)``); evaluation returns one.
public enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([Value])
    case map(CELMap)
    case timestamp(Timestamp)
    case duration(CELDuration)
    case type(TypeValue)
}

extension Value {
    /// The runtime type of the value, as `type(x)` returns it.
    public var typeValue: TypeValue {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        case .list: .list
        case .map: .map
        case .timestamp: .timestamp
        case .duration: .duration
        case .type: .type
        }
    }
}

/// A type as a runtime value (`type(1) == int`). Compared by name.
public struct TypeValue: Sendable, Hashable, CustomStringConvertible {
    /// The type's name as CEL spells it (`int`, `list`, `google.protobuf.Timestamp`, …).
    public let name: String
    public init(name: String) { self.name = name }
    public var description: String { name }

    public static let null = TypeValue(name: "null_type")
    public static let bool = TypeValue(name: "bool")
    public static let int = TypeValue(name: "int")
    public static let uint = TypeValue(name: "uint")
    public static let double = TypeValue(name: "double")
    public static let string = TypeValue(name: "string")
    public static let bytes = TypeValue(name: "bytes")
    public static let list = TypeValue(name: "list")
    public static let map = TypeValue(name: "map")
    public static let timestamp = TypeValue(name: "google.protobuf.Timestamp")
    public static let duration = TypeValue(name: "google.protobuf.Duration")
    public static let type = TypeValue(name: "type")
}
