import CEL

extension Value {
    /// Structural equality as the conformance tests define it: the same kind and contents, with
    /// NaN equal to NaN, -0 equal to 0, maps compared regardless of order, types by name, and
    /// strings by Unicode scalars (no normalization: `"é"` and `"e\u{301}"` differ). Unlike
    /// CEL's `==`, `1` and `1u` differ.
    public func isConformanceEqual(to other: Value) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.timestamp(let a), .timestamp(let b)): return a == b
        case (.duration(let a), .duration(let b)): return a == b
        case (.type(let a), .type(let b)): return a.name == b.name
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isConformanceEqual(to: $1) }
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            return a.entries.allSatisfy { key, value in
                b.entries.contains { otherKey, otherValue in
                    key.isIdentical(to: otherKey) && value.isConformanceEqual(to: otherValue)
                }
            }
        default: return false
        }
    }
}

extension MapKey {
    /// Same kind and same contents (`1` and `1u` differ, unlike ``MapKey/==(_:_:)``).
    fileprivate func isIdentical(to other: MapKey) -> Bool {
        switch (self, other) {
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.uint(let a), .uint(let b)): a == b
        case (.string(let a), .string(let b)): a.unicodeScalars.elementsEqual(b.unicodeScalars)
        default: false
        }
    }
}
