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
        case let (.string(a), .string(b)): identical(a, b)
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

    /// A cheap hash that tells most unequal keys apart without comparing strings.
    var fingerprint: UInt64 {
        switch self {
        case .string(let s): fieldFingerprint(s)
        case .bool(let b): b ? 1 : 2
        case .int(let i): i >= 0 ? UInt64(i) &+ 3 : UInt64(bitPattern: i)
        case .uint(let u): u &+ 3
        }
    }
}

/// FNV-1a over the UTF-8 of a field name. Plan-time code computes it once per field name, so a
/// map lookup compares integers before it compares any string.
@inline(__always)
func fieldFingerprint(_ s: String) -> UInt64 {
    var text = s
    return text.withUTF8 { bytes in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// A CEL map, keeping the order its entries were inserted in.
///
/// A value type backed by one shared buffer (copy-on-write), so copying a map costs one
/// reference count. Small maps (the common case: a mutation's fields) are searched linearly by
/// key fingerprint; larger ones keep a hash index.
public struct CELMap: Sendable {
    private var storage: Storage

    private static let indexThreshold = 16

    /// One entry, with its key's fingerprint beside it for the linear search.
    struct Entry {
        var fingerprint: UInt64
        var key: MapKey
        var value: Value
    }

    final class Storage: @unchecked Sendable {
        // Mutated only while uniquely referenced (copy-on-write), so sharing is safe; the
        // exclusivity of those accesses is guaranteed by that, not by a runtime check.
        @exclusivity(unchecked) var entries: [Entry] = []
        @exclusivity(unchecked) var index: [MapKey: Int]?

        init() {}

        init(copying other: Storage) {
            entries = other.entries
            index = other.index
        }
    }

    public init() {
        storage = Storage()
    }

    /// Builds a map from entries; a later duplicate key replaces the earlier value.
    public init(_ entries: [(MapKey, Value)]) {
        self.init()
        storage.entries.reserveCapacity(entries.count)
        for (key, value) in entries { self[key] = value }
    }

    /// Builds a map with string keys, in key order.
    public init(_ dictionary: [String: Value]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { (MapKey.string($0.key), $0.value) })
    }

    /// Makes room for `capacity` entries.
    public mutating func reserveCapacity(_ capacity: Int) {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        storage.entries.reserveCapacity(capacity)
    }

    public var count: Int { storage.entries.count }
    public var isEmpty: Bool { storage.entries.isEmpty }
    /// The keys in insertion order.
    public var keys: [MapKey] { storage.entries.map(\.key) }
    /// The values in insertion order.
    public var values: [Value] { storage.entries.map(\.value) }

    /// The entries in insertion order.
    public var entries: [(key: MapKey, value: Value)] { storage.entries.map { ($0.key, $0.value) } }

    /// Calls `body` with each key and value in insertion order, without copying the map.
    public func forEach(_ body: (MapKey, Value) throws -> Void) rethrows {
        for entry in storage.entries { try body(entry.key, entry.value) }
    }

    /// The position of a key, if present.
    public func position(of key: MapKey) -> Int? {
        position(of: key, fingerprint: key.fingerprint)
    }

    private func position(of key: MapKey, fingerprint: UInt64) -> Int? {
        if let index = storage.index { return index[key] }
        return storage.entries.withUnsafeBufferPointer { entries -> Int? in
            for i in 0..<entries.count where entries[i].fingerprint == fingerprint && entries[i].key == key {
                return i
            }
            return nil
        }
    }

    /// The value of a string key.
    public func value(forField name: String) -> Value? {
        value(forField: name, fingerprint: fieldFingerprint(name))
    }

    /// The value of a string key whose ``fieldFingerprint(_:)`` the caller computed in advance.
    @inline(__always)
    func value(forField name: String, fingerprint: UInt64) -> Value? {
        if let index = storage.index {
            return index[.string(name)].map { storage.entries[$0].value }
        }
        return storage.entries.withUnsafeBufferPointer { entries -> Value? in
            for i in 0..<entries.count where entries[i].fingerprint == fingerprint {
                // Equal fingerprints (FNV-1a over the UTF-8 bytes) and `==` mean identical bytes:
                // canonically equivalent spellings differ in bytes, so in fingerprint.
                if case .string(let k) = entries[i].key, k == name { return entries[i].value }
            }
            return nil
        }
    }

    public subscript(key: MapKey) -> Value? {
        get { position(of: key).map { storage.entries[$0].value } }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
            let storage = self.storage
            let fingerprint = key.fingerprint
            if let position = position(of: key, fingerprint: fingerprint) {
                if let newValue {
                    storage.entries[position].value = newValue
                } else {
                    storage.entries.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                storage.entries.append(Entry(fingerprint: fingerprint, key: key, value: newValue))
                if storage.index != nil {
                    storage.index![key] = storage.entries.count - 1
                } else if storage.entries.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    public subscript(field: String) -> Value? {
        get { value(forField: field) }
        set { self[.string(field)] = newValue }
    }

    private func rebuildIndex() {
        guard storage.entries.count > Self.indexThreshold else {
            storage.index = nil
            return
        }
        var built = [MapKey: Int](minimumCapacity: storage.entries.count)
        for (i, entry) in storage.entries.enumerated() { built[entry.key] = i }
        storage.index = built
    }
}
