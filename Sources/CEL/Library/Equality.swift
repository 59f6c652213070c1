/// CEL equality: numbers compare by value across int, uint and double; lists and maps compare
/// element by element; values of different kinds are unequal (never an error).
func valuesEqual(_ lhs: Value, _ rhs: Value) -> Bool {
    switch (lhs, rhs) {
    case let (.string(a), .string(b)): return identical(a, b)
    case let (.int(a), .int(b)): return a == b
    case let (.double(a), .double(b)): return a == b
    case let (.bool(a), .bool(b)): return a == b
    case let (.uint(a), .uint(b)): return a == b
    case (.null, .null): return true
    case let (.int(a), .uint(b)), let (.uint(b), .int(a)): return a >= 0 && UInt64(a) == b
    case let (.int(a), .double(b)), let (.double(b), .int(a)): return compareInt(a, toDouble: b) == 0
    case let (.uint(a), .double(b)), let (.double(b), .uint(a)): return compareUInt(a, toDouble: b) == 0
    case let (.bytes(a), .bytes(b)): return a == b
    case let (.list(a), .list(b)):
        guard a.count == b.count else { return false }
        for i in a.indices where !valuesEqual(a[i], b[i]) { return false }
        return true
    case let (.map(a), .map(b)):
        guard a.count == b.count else { return false }
        for (key, value) in a.entries {
            guard let other = b[key], valuesEqual(value, other) else { return false }
        }
        return true
    case let (.timestamp(a), .timestamp(b)): return a == b
    case let (.duration(a), .duration(b)): return a == b
    case let (.type(a), .type(b)): return a == b
    default: return false
    }
}

/// Orders two values: negative, zero or positive; `nil` when a NaN is involved.
/// Values of kinds that have no ordering between them are an error.
func compareValues(_ lhs: Value, _ rhs: Value, function: String) throws(EvalError) -> Int? {
    switch (lhs, rhs) {
    case let (.int(a), .int(b)): return a < b ? -1 : (a == b ? 0 : 1)
    case let (.double(a), .double(b)):
        if a.isNaN || b.isNaN { return nil }
        return a < b ? -1 : (a == b ? 0 : 1)
    case let (.uint(a), .uint(b)): return a < b ? -1 : (a == b ? 0 : 1)
    case let (.int(a), .uint(b)):
        if a < 0 { return -1 }
        return UInt64(a) < b ? -1 : (UInt64(a) == b ? 0 : 1)
    case let (.uint(a), .int(b)):
        if b < 0 { return 1 }
        return a < UInt64(b) ? -1 : (a == UInt64(b) ? 0 : 1)
    case let (.int(a), .double(b)): return compareInt(a, toDouble: b)
    case let (.double(a), .int(b)): return compareInt(b, toDouble: a).map { -$0 }
    case let (.uint(a), .double(b)): return compareUInt(a, toDouble: b)
    case let (.double(a), .uint(b)): return compareUInt(b, toDouble: a).map { -$0 }
    case let (.string(a), .string(b)):
        // CEL orders strings by code point, which UTF-8 byte order preserves.
        return compareBytes(a.utf8, b.utf8)
    case let (.bytes(a), .bytes(b)): return compareBytes(a, b)
    case let (.bool(a), .bool(b)): return a == b ? 0 : (a ? 1 : -1)
    case let (.timestamp(a), .timestamp(b)): return a < b ? -1 : (a == b ? 0 : 1)
    case let (.duration(a), .duration(b)): return a < b ? -1 : (a == b ? 0 : 1)
    default:
        throw EvalError.noOverload(function, lhs, rhs)
    }
}

private func compareBytes<S: Sequence<UInt8>>(_ a: S, _ b: S) -> Int {
    var left = a.makeIterator()
    var right = b.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?):
            if x != y { return x < y ? -1 : 1 }
        }
    }
}

/// Compares an int with a double as CEL does: the int converted to double (so
/// `9223372036854775807 < 9223372036854775808.0` is false — the conversion rounds).
@inline(__always)
func compareInt(_ a: Int64, toDouble b: Double) -> Int? {
    compareDoubles(Double(a), b)
}

/// Compares a uint with a double, the uint converted to double.
@inline(__always)
func compareUInt(_ a: UInt64, toDouble b: Double) -> Int? {
    compareDoubles(Double(a), b)
}

@inline(__always)
private func compareDoubles(_ a: Double, _ b: Double) -> Int? {
    if a.isNaN || b.isNaN { return nil }
    return a < b ? -1 : (a == b ? 0 : 1)
}

/// Whether two strings have the same Unicode scalars. CEL does not normalise strings: `"é"`
/// written precomposed and decomposed are different strings, unlike Swift's `==`.
@inline(__always)
func identical(_ a: String, _ b: String) -> Bool {
    // Byte-identical strings are always ==, and == is cheap for them; only a true answer needs
    // confirming, since == also equates canonically equivalent spellings.
    guard a.utf8.count == b.utf8.count, a == b else { return false }
    return a.utf8.elementsEqual(b.utf8)
}

/// `identical(value, constant)` when the constant is known to be ASCII: an ASCII string is
/// canonically equivalent only to itself among strings of its UTF-8 length (every non-ASCII
/// scalar takes two bytes or more and none decomposes canonically into several ASCII ones), so
/// `==` with equal lengths settles it.
@inline(__always)
func identical(_ value: String, asciiConstant constant: String) -> Bool {
    value.utf8.count == constant.utf8.count && value == constant
}
