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
/// written precomposed and decomposed are different strings, unlike Swift's `==`. The same
/// scalars are the same UTF-8 bytes, so the bytes are compared.
@inline(__always)
func identical(_ a: String, _ b: String) -> Bool {
    // The same representation (the same small string, or the same buffer and length) is the same
    // string: the common case of a key found in a map, settled without reading the bytes.
    let x = unsafeBitCast(a, to: (UInt64, UInt64).self)
    let y = unsafeBitCast(b, to: (UInt64, UInt64).self)
    if x == y { return true }
    // Strings of at most 15 UTF-8 bytes are stored in the value itself (bit 61 of its second
    // word, by the standard library's stable layout), canonically: two such strings with
    // different bits are different strings, settled without reading bytes. (Canonical as long as
    // the unused bytes are zero: `String(unsafeUninitializedCapacity:)` leaves whatever its
    // initializer wrote past the count it returns, so writers of short strings in this project
    // write exactly that count.)
    if x.1 & y.1 & smallStringBit != 0 { return false }
    return sameUTF8(a, b)
}

private let smallStringBit: UInt64 = 1 << 61

/// Byte comparison of two strings' UTF-8, in place when both are stored contiguously (native
/// strings always are). Declared read-only so that callers reading values in place need not
/// retain what they read around the call.
@inline(never)
@_effects(readonly)
func sameUTF8(_ a: String, _ b: String) -> Bool {
    let count = a.utf8.count
    guard count == b.utf8.count else { return false }
    let result = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in
            bytesEqual(UnsafeRawPointer(x.baseAddress), UnsafeRawPointer(y.baseAddress), count)
        }
    }
    if let result, let result { return result }
    return a.utf8.elementsEqual(b.utf8)
}

/// Whether `count` bytes at `x` and `y` are equal, compared a word at a time.
@inline(__always)
func bytesEqual(_ x: UnsafeRawPointer?, _ y: UnsafeRawPointer?, _ count: Int) -> Bool {
    guard count > 0, let x, let y else { return true }
    var i = 0
    while i &+ 8 <= count {
        if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i &+= 8
    }
    while i < count {
        if x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}

/// `identical(value, constant)` when the constant is known to be ASCII.
@inline(__always)
func identical(_ value: String, asciiConstant constant: String) -> Bool {
    identical(value, constant)
}
