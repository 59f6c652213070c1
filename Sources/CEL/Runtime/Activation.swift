/// The variables an evaluation sees, by name.
///
/// Kept as a small array searched by name fingerprint: activations hold a handful of variables,
/// and comparing precomputed integers beats hashing names on every lookup.
public struct Activation: Sendable {
    private struct Binding: Sendable {
        var fingerprint: UInt64
        var name: String
        var value: Value
    }

    private var bindings: [Binding] = []

    public init() {}

    /// Makes room for `capacity` variables.
    public mutating func reserveCapacity(_ capacity: Int) {
        bindings.reserveCapacity(capacity)
    }

    public init(_ variables: [String: Value]) {
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { self[name] = value }
    }

    /// The value bound to a name.
    public subscript(name: String) -> Value? {
        get { value(of: FieldName(name)) }
        set {
            if let i = bindings.firstIndex(where: { $0.name == name }) {
                if let newValue {
                    bindings[i].value = newValue
                } else {
                    bindings.remove(at: i)
                }
            } else if let newValue {
                bindings.append(Binding(fingerprint: fieldFingerprint(name), name: name, value: newValue))
            }
        }
    }

    /// The number of bound names.
    public var count: Int { bindings.count }

    /// The value at `position` (0 ..< count), in the order names were bound.
    public func value(at position: Int) -> Value { bindings[position].value }

    /// An activation with the names of `template`, in its order, each bound to `value(position)`:
    /// how an activation of known names is filled per evaluation without copying the template's
    /// values first.
    public init(namesOf template: Activation, value: (Int) throws -> Value) rethrows {
        // The template's bindings are read in place: their values are not copied.
        let count = template.bindings.count
        bindings = try template.bindings.withUnsafeBufferPointer { source in
            try [Binding](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    (buffer.baseAddress! + i).initialize(
                        to: Binding(fingerprint: source[i].fingerprint, name: source[i].name, value: try value(i)))
                    initialized = i + 1
                }
            }
        }
    }

    /// The position of a bound name, to replace its value with ``setValue(_:at:)`` without
    /// searching for it: an activation built once with its names (a template) is filled per
    /// evaluation this way.
    public func position(of name: String) -> Int? {
        bindings.firstIndex { $0.name == name }
    }

    /// Replaces the value at `position` (from ``position(of:)``), keeping its name.
    public mutating func setValue(_ value: Value, at position: Int) {
        bindings[position].value = value
    }

    /// Calls `body` with the value bound to `name`, read in place; `nil` when it is not bound.
    @inline(__always)
    func withValue<R>(of name: FieldName, _ body: (UnsafePointer<Value>) throws(EvalError) -> R) throws(EvalError) -> R? {
        try bindings.withUnsafeBufferPointer { bindings throws(EvalError) -> R? in
            for i in 0..<bindings.count where bindings[i].fingerprint == name.fingerprint {
                if identical(bindings[i].name, name.name) {
                    return try body(UnsafePointer(bindings.baseAddress! + i).pointer(to: \.value)!)
                }
            }
            return nil
        }
    }

    @inline(__always)
    func value(of name: FieldName) -> Value? {
        bindings.withUnsafeBufferPointer { bindings -> Value? in
            for i in 0..<bindings.count where bindings[i].fingerprint == name.fingerprint {
                if bindings[i].name == name.name { return bindings[i].value }
            }
            return nil
        }
    }
}

/// A path of fields from a variable (`mutation.changes.amount`), with each name's fingerprint
/// computed once: resolved in place, copying only the value at its end.
public struct ValuePath: Sendable {
    private let root: FieldName
    private let fields: [FieldName]

    /// `components[0]` is the variable; the rest are the fields under it, in order.
    public init(_ components: [String]) {
        precondition(!components.isEmpty, "a value path names at least a variable")
        root = FieldName(components[0])
        fields = components.dropFirst().map(FieldName.init)
    }

    /// The value at the end of the path; `nil` when the variable is unbound, a field absent, or
    /// a value on the way not a map.
    public func resolve(in activation: Activation) -> Value? {
        let found = try? activation.withValue(of: root) { start throws(EvalError) -> Value in
            try fields.withUnsafeBufferPointer { fields throws(EvalError) -> Value in
                var value = start
                for i in 0..<fields.count { value = try selectInPlace(value, fields.baseAddress! + i) }
                return value.pointee
            }
        }
        return found ?? nil
    }
}
