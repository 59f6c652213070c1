/// A variable of the activation.
struct GlobalNode: Interpretable {
    let name: String
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        if let value = context.activation[name] { return value }
        throw EvalError(.unboundVariable, "no such attribute: '\(name)' is not bound")
    }
}

/// A dotted name `a.b.c` that may be one variable (`a.b`), or a variable with fields selected.
/// Candidates are tried longest first, as CEL's name resolution says.
struct QualifiedNode: Interpretable {
    /// Each candidate: the variable name and the fields to select after it.
    let candidates: [(name: String, fields: [FieldName])]
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        for candidate in candidates {
            if var value = context.activation[candidate.name] {
                for field in candidate.fields {
                    value = try selectField(value, field)
                }
                return value
            }
        }
        throw EvalError(.unboundVariable, "no such attribute: '\(candidates.last?.name ?? "")' is not bound")
    }
}

/// A comprehension variable.
struct LocalNode: Interpretable {
    let slot: Int
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value { context.locals[slot] }
}

/// `operand.field`.
struct SelectNode: Interpretable {
    let operand: any Interpretable
    let field: FieldName
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        try selectField(try operand.evaluate(&context), field)
    }
}

/// `has(operand.field)`.
struct HasNode: Interpretable {
    let operand: any Interpretable
    let place: Place?
    let field: FieldName

    init(operand: any Interpretable, field: String) {
        self.operand = operand
        self.place = Place(operand)
        self.field = FieldName(field)
    }

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        if let place { return .bool(try place.withValue(context) { value throws(EvalError) in try has(value.pointee) }) }
        return .bool(try has(try operand.evaluate(&context)))
    }

    @inline(__always)
    private func has(_ value: Value) throws(EvalError) -> Bool {
        guard case .map(let map) = value else { throw cannotTest(value) }
        return map.pointer(forField: field.name, fingerprint: field.fingerprint) != nil
    }

    @inline(never)
    private func cannotTest(_ value: Value) -> EvalError {
        EvalError(.noMatchingOverload, "has() cannot test field '\(field.name)' of a \(value.typeValue.name)")
    }
}

/// `operand[index]`.
struct IndexNode: Interpretable {
    let operand: any Interpretable
    let index: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        try indexValue(try operand.evaluate(&context), try index.evaluate(&context))
    }
}

/// A field name with its fingerprint, computed once when the program is planned.
struct FieldName: Sendable {
    let name: String
    let fingerprint: UInt64
    init(_ name: String) {
        self.name = name
        self.fingerprint = fieldFingerprint(name)
    }
}

/// Reads a field of a map (an object at runtime).
@inline(__always)
func selectField(_ value: Value, _ field: FieldName) throws(EvalError) -> Value {
    guard case .map(let map) = value else {
        throw EvalError(.noSuchField, "no such field '\(field.name)' on a value of type \(value.typeValue.name)")
    }
    if let found = map.value(forField: field.name, fingerprint: field.fingerprint) { return found }
    throw EvalError(.noSuchKey, "no such key: '\(field.name)'")
}

/// Where a field of a map (an object at runtime) lies, found without copying the map or the
/// field's value. The result lives as long as the value `value` points to.
@inline(__always)
func selectInPlace(_ value: UnsafePointer<Value>, _ field: UnsafePointer<FieldName>) throws(EvalError)
    -> UnsafePointer<Value>
{
    guard case .map(let map) = value.pointee else { throw noSuchField(value.pointee, field.pointee.name) }
    guard let found = map.pointer(forField: field.pointee.name, fingerprint: field.pointee.fingerprint) else {
        throw noSuchKey(field.pointee.name)
    }
    return found
}

@inline(__always)
func selectInPlace(_ value: UnsafePointer<Value>, _ field: FieldName) throws(EvalError) -> UnsafePointer<Value> {
    guard case .map(let map) = value.pointee else { throw noSuchField(value.pointee, field.name) }
    guard let found = map.pointer(forField: field.name, fingerprint: field.fingerprint) else {
        throw noSuchKey(field.name)
    }
    return found
}

@inline(never)
func noSuchField(_ value: Value, _ name: String) -> EvalError {
    EvalError(.noSuchField, "no such field '\(name)' on a value of type \(value.typeValue.name)")
}

@inline(never)
func noSuchKey(_ name: String) -> EvalError {
    EvalError(.noSuchKey, "no such key: '\(name)'")
}

/// `container[index]` for lists and maps.
func indexValue(_ container: Value, _ index: Value) throws(EvalError) -> Value {
    switch container {
    case .list(let list):
        let position: Int64
        switch index {
        case .int(let i): position = i
        case .uint(let u): position = u > UInt64(Int64.max) ? Int64.max : Int64(u)
        case .double(let d):
            guard let i = Int64(exactly: d) else {
                throw EvalError(.invalidArgument, "invalid list index \(d): not an integer")
            }
            position = i
        default:
            throw EvalError.noOverload(Operator.index, container, index)
        }
        guard position >= 0, position < list.count else {
            throw EvalError(.indexOutOfRange, "index out of range: \(position) (list size \(list.count))")
        }
        return list[Int(position)]
    case .map(let map):
        guard let key = try mapLookupKey(index) else {
            throw EvalError(.noSuchKey, "no such key: \(index.typeValue.name) value")
        }
        if let found = map[key] { return found }
        throw EvalError(.noSuchKey, "no such key: \(key)")
    default:
        throw EvalError.noOverload(Operator.index, container, index)
    }
}

/// The map key a value looks up; `nil` when a double cannot equal any key.
func mapLookupKey(_ value: Value) throws(EvalError) -> MapKey? {
    switch value {
    case .string(let s): return .string(s)
    case .int(let i): return .int(i)
    case .uint(let u): return .uint(u)
    case .bool(let b): return .bool(b)
    case .double(let d):
        if let i = Int64(exactly: d) { return .int(i) }
        if let u = UInt64(exactly: d) { return .uint(u) }
        return nil
    default:
        throw EvalError(.invalidArgument, "unsupported key type: \(value.typeValue.name)")
    }
}

/// The map key a value makes in a map literal.
func mapLiteralKey(_ value: Value) throws(EvalError) -> MapKey {
    switch value {
    case .string(let s): return .string(s)
    case .int(let i): return .int(i)
    case .uint(let u): return .uint(u)
    case .bool(let b): return .bool(b)
    default:
        throw EvalError(.invalidArgument, "unsupported key type: \(value.typeValue.name)")
    }
}
