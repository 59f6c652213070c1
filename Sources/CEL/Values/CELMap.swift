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
/// reference count and building one costs one allocation. Small maps (the common case: a
/// mutation's fields) are searched linearly by key fingerprint; larger ones keep a hash index.
///
/// Sendable because the storage is only mutated while uniquely referenced (copy-on-write);
/// `ManagedBuffer`, its base class, cannot say so itself.
public struct CELMap: @unchecked Sendable {
    private var storage: Storage

    private static let indexThreshold = 16

    /// One entry, with its key's fingerprint beside it for the linear search.
    struct Entry {
        var fingerprint: UInt64
        var key: MapKey
        var value: Value
    }

    struct Header {
        var count: Int
        var capacity: Int
        var index: [MapKey: Int]?
    }

    /// The entries, stored inline after the header: one allocation per map, and a value found
    /// by a lookup stays where it is (and can be read in place) while the map is alive and
    /// unchanged.
    final class Storage: ManagedBuffer<Header, Entry> {
        static func make(capacity: Int) -> Storage {
            let capacity = Swift.max(capacity, 1)
            let buffer = Storage.create(minimumCapacity: capacity) { _ in
                Header(count: 0, capacity: capacity, index: nil)
            }
            return unsafeDowncast(buffer, to: Storage.self)
        }

        /// A copy with room for `capacity` entries.
        func copy(capacity: Int) -> Storage {
            let copy = Storage.make(capacity: Swift.max(capacity, head.pointee.count))
            copy.base.initialize(from: base, count: head.pointee.count)
            copy.head.pointee.count = head.pointee.count
            copy.head.pointee.index = head.pointee.index
            return copy
        }

        /// The header, read and written without the exclusivity checks of `header` (the map
        /// mutates only uniquely referenced storage).
        @inline(__always)
        var head: UnsafeMutablePointer<Header> {
            withUnsafeMutablePointerToHeader { $0 }
        }

        /// The entries' base address; valid while this storage is alive.
        @inline(__always)
        var base: UnsafeMutablePointer<Entry> {
            withUnsafeMutablePointerToElements { $0 }
        }

        deinit {
            _ = withUnsafeMutablePointers { header, entries in
                entries.deinitialize(count: header.pointee.count)
            }
        }
    }

    public init() {
        storage = Storage.make(capacity: 4)
    }

    /// Builds a map from entries; a later duplicate key replaces the earlier value.
    public init(_ entries: [(MapKey, Value)]) {
        storage = Storage.make(capacity: entries.count)
        for (key, value) in entries { self[key] = value }
    }

    /// Builds a map with string keys, in key order.
    public init(_ dictionary: [String: Value]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { (MapKey.string($0.key), $0.value) })
    }

    /// A map with the keys of `template`, in its order, each with `value(position)`: how a map
    /// of known keys is filled per evaluation without copying the template's values first.
    public init(keysOf template: CELMap, value: (Int) throws -> Value) rethrows {
        let count = template.count
        storage = Storage.make(capacity: count)
        let source = template.storage
        try withExtendedLifetime(source) {
            for i in 0..<count {
                let entry = source.base + i
                (storage.base + i).initialize(
                    to: Entry(fingerprint: entry.pointee.fingerprint, key: entry.pointee.key, value: try value(i)))
                storage.head.pointee.count = i + 1
            }
        }
        storage.head.pointee.index = source.head.pointee.index
    }

    /// Makes room for `capacity` entries.
    public mutating func reserveCapacity(_ capacity: Int) {
        if !isKnownUniquelyReferenced(&storage) || storage.head.pointee.capacity < capacity {
            storage = storage.copy(capacity: capacity)
        }
    }

    public var count: Int { storage.head.pointee.count }
    public var isEmpty: Bool { storage.head.pointee.count == 0 }

    @inline(__always)
    private var buffer: UnsafeBufferPointer<Entry> {
        UnsafeBufferPointer(start: storage.base, count: storage.head.pointee.count)
    }

    /// The keys in insertion order.
    public var keys: [MapKey] { withExtendedLifetime(storage) { buffer.map(\.key) } }
    /// The values in insertion order.
    public var values: [Value] { withExtendedLifetime(storage) { buffer.map(\.value) } }

    /// The entries in insertion order.
    public var entries: [(key: MapKey, value: Value)] { withExtendedLifetime(storage) { buffer.map { ($0.key, $0.value) } } }

    /// Calls `body` with each key and value in insertion order, without copying the map.
    public func forEach(_ body: (MapKey, Value) throws -> Void) rethrows {
        try withExtendedLifetime(storage) {
            for entry in buffer { try body(entry.key, entry.value) }
        }
    }

    /// Calls `body` with each key and value read in place, in insertion order: unlike
    /// ``forEach(_:)``, no reference is counted per entry, which matters on a decision's path.
    /// The pointers are valid only during the call.
    public func forEachInPlace(_ body: (UnsafePointer<MapKey>, UnsafePointer<Value>) throws -> Void) rethrows {
        try withExtendedLifetime(storage) {
            let base = storage.base
            for i in 0..<storage.head.pointee.count {
                let entry = UnsafePointer(base + i)
                try body(entry.pointer(to: \.key)!, entry.pointer(to: \.value)!)
            }
        }
    }

    /// The position of a key, if present.
    public func position(of key: MapKey) -> Int? {
        position(of: key, fingerprint: key.fingerprint)
    }

    private func position(of key: MapKey, fingerprint: UInt64) -> Int? {
        if let index = storage.head.pointee.index { return index[key] }
        return withExtendedLifetime(storage) {
            let entries = buffer
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
        withExtendedLifetime(storage) { pointer(forField: name, fingerprint: fingerprint)?.pointee }
    }

    /// Where the value of a string key lies, read in place without copying it. The pointer is
    /// valid while this map's storage is alive and unchanged (the caller holds the map, or a
    /// value that holds it).
    @inline(__always)
    func pointer(forField name: String, fingerprint: UInt64) -> UnsafePointer<Value>? {
        let storage = self.storage
        if let index = storage.head.pointee.index {
            guard let i = index[.string(name)] else { return nil }
            return UnsafePointer(storage.base + i).pointer(to: \.value)
        }
        let entries = storage.base
        for i in 0..<storage.head.pointee.count where entries[i].fingerprint == fingerprint {
            // Equal fingerprints (FNV-1a over the UTF-8 bytes) and equal bytes mean the same key.
            if case .string(let k) = entries[i].key, identical(k, name) {
                return UnsafePointer(entries + i).pointer(to: \.value)
            }
        }
        return nil
    }

    /// The value at `position` (0 ..< count), in insertion order.
    public func value(at position: Int) -> Value {
        precondition(position >= 0 && position < count, "CELMap position out of range")
        return withExtendedLifetime(storage) { storage.base[position].value }
    }

    /// Replaces the value at `position` (0 ..< count), keeping its key: a map built once with
    /// its keys (a template) is filled this way without searching for them.
    public mutating func setValue(_ value: Value, at position: Int) {
        precondition(position >= 0 && position < count, "CELMap position out of range")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy(capacity: storage.head.pointee.count) }
        storage.base[position].value = value
    }

    public subscript(key: MapKey) -> Value? {
        get { position(of: key).map { value(at: $0) } }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy(capacity: storage.head.pointee.count + 1) }
            let fingerprint = key.fingerprint
            if let position = position(of: key, fingerprint: fingerprint) {
                if let newValue {
                    storage.base[position].value = newValue
                } else {
                    remove(at: position)
                }
            } else if let newValue {
                let count = storage.head.pointee.count
                if count == storage.head.pointee.capacity { storage = storage.copy(capacity: count * 2) }
                (storage.base + count).initialize(to: Entry(fingerprint: fingerprint, key: key, value: newValue))
                storage.head.pointee.count = count + 1
                if storage.head.pointee.index != nil {
                    storage.head.pointee.index![key] = count
                } else if count + 1 > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    public subscript(field: String) -> Value? {
        get { value(forField: field) }
        set { self[.string(field)] = newValue }
    }

    /// Removes the entry at `position`; the storage is uniquely referenced.
    private func remove(at position: Int) {
        let base = storage.base
        let count = storage.head.pointee.count
        (base + position).deinitialize(count: 1)
        (base + position).moveInitialize(from: base + position + 1, count: count - position - 1)
        storage.head.pointee.count = count - 1
        rebuildIndex()
    }

    private func rebuildIndex() {
        guard storage.head.pointee.count > Self.indexThreshold else {
            storage.head.pointee.index = nil
            return
        }
        var built = [MapKey: Int](minimumCapacity: storage.head.pointee.count)
        withExtendedLifetime(storage) {
            for (i, entry) in buffer.enumerated() { built[entry.key] = i }
        }
        storage.head.pointee.index = built
    }
}
