/// A key of a CEL map: int, uint, bool or string. An int and a uint key of the same numeric
/// value are the same key (heterogeneous equality).
public enum MapKey: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)

    public static func == (lhs: MapKey, rhs: MapKey) -> Bool {
        switch (lhs, rhs) {
        case let (.bool(a), .bool(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.uint(a), .uint(b)): a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): a >= 0 && UInt64(a) == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let b):
            hasher.combine(0 as UInt8)
            hasher.combine(b)
        case .string(let s):
            hasher.combine(1 as UInt8)
            hasher.combine(s)
        case .int(let i):
            if i >= 0 {
                hasher.combine(2 as UInt8)
                hasher.combine(UInt64(i))
            } else {
                hasher.combine(3 as UInt8)
                hasher.combine(i)
            }
        case .uint(let u):
            hasher.combine(2 as UInt8)
            hasher.combine(u)
        }
    }

    /// The key as a value.
    public var value: Value {
        switch self {
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .uint(let u): .uint(u)
        case .string(let s): .string(s)
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .uint(let u): "\(u)u"
        case .string(let s): "\"\(s)\""
        }
    }
}

/// A CEL map, keeping the order its entries were inserted in.
///
/// Small maps (the common case: a mutation's fields) are searched linearly, which beats hashing
/// for a handful of short keys; larger ones keep a hash index.
public struct CELMap: Sendable {
    public private(set) var keys: [MapKey]
    public private(set) var values: [Value]
    private var index: [MapKey: Int]?

    private static let indexThreshold = 12

    public init() {
        keys = []
        values = []
        index = nil
    }

    /// Builds a map from entries; a later duplicate key replaces the earlier value.
    public init(_ entries: [(MapKey, Value)]) {
        self.init()
        keys.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        for (key, value) in entries { self[key] = value }
    }

    /// Builds a map with string keys.
    public init(_ dictionary: [String: Value]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { (MapKey.string($0.key), $0.value) })
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The entries in insertion order.
    public var entries: Zip2Sequence<[MapKey], [Value]> { zip(keys, values) }

    /// The position of a key, if present.
    public func position(of key: MapKey) -> Int? {
        if let index { return index[key] }
        return keys.firstIndex(of: key)
    }

    /// The value of a string key, without building a ``MapKey`` hash.
    public func value(forField name: String) -> Value? {
        if let index {
            return index[.string(name)].map { values[$0] }
        }
        for i in keys.indices {
            if case .string(let k) = keys[i], k == name { return values[i] }
        }
        return nil
    }

    public subscript(key: MapKey) -> Value? {
        get { position(of: key).map { values[$0] } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    values[position] = newValue
                } else {
                    keys.remove(at: position)
                    values.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                if index != nil {
                    index![key] = keys.count - 1
                } else if keys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    public subscript(field: String) -> Value? {
        get { value(forField: field) }
        set { self[.string(field)] = newValue }
    }

    private mutating func rebuildIndex() {
        guard keys.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built = [MapKey: Int](minimumCapacity: keys.count)
        for (i, key) in keys.enumerated() { built[key] = i }
        index = built
    }
}
