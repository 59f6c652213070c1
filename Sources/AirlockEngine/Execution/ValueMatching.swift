import CEL

/// How executors compare a value they asked for with one they read back: numbers by value
/// (an INTEGER column holding 18 matches a change of 18.0), booleans as 0 and 1 when the other
/// side is a number, lists and maps element by element; everything else by kind and value.
enum ValueMatching {
    static func equal(_ lhs: Value, _ rhs: Value) -> Bool {
        if let a = number(lhs), let b = number(rhs) { return a == b }
        switch (lhs, rhs) {
        case let (.bool(flag), other), let (other, .bool(flag)):
            if let n = number(other) { return n == .integer(flag ? 1 : 0) }
            if case .bool(let b) = other { return b == flag }
            return false
        case (.null, .null): return true
        case let (.string(a), .string(b)): return a == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.list(a), .list(b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case let (.map(a), .map(b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.entries {
                guard let other = b[key], equal(value, other) else { return false }
            }
            return true
        case (.timestamp, _), (.duration, _), (_, .timestamp), (_, .duration):
            return lhs.jsonString() == rhs.jsonString()
        default: return false
        }
    }

    /// The differences between the wanted values and the found ones, field by field
    /// (`price: wanted 18.0, found 20.0`, with `label` for "wanted"); empty when every wanted
    /// field matches.
    static func differences(wanted: CELMap, found: CELMap, label: String = "wanted") -> [String] {
        var differences: [String] = []
        for (key, value) in wanted.entries {
            let name = fieldName(key)
            guard let actual = found[key] else {
                differences.append("\(name): \(label) \(value), found nothing")
                continue
            }
            if !equal(value, actual) { differences.append("\(name): \(label) \(value), found \(actual)") }
        }
        return differences
    }

    static func fieldName(_ key: MapKey) -> String {
        if case .string(let name) = key { return name }
        return key.description
    }

    /// A numeric view for comparisons.
    private enum Number: Equatable {
        case integer(Int64)
        case unsigned(UInt64)
        case real(Double)

        static func == (lhs: Number, rhs: Number) -> Bool {
            switch (lhs, rhs) {
            case let (.integer(a), .integer(b)): a == b
            case let (.unsigned(a), .unsigned(b)): a == b
            case let (.integer(a), .unsigned(b)), let (.unsigned(b), .integer(a)): a >= 0 && UInt64(a) == b
            case let (.real(a), .real(b)): a == b
            case let (.integer(a), .real(b)), let (.real(b), .integer(a)): Double(a) == b && Int64(exactly: b) == a
            case let (.unsigned(a), .real(b)), let (.real(b), .unsigned(a)): Double(a) == b && UInt64(exactly: b) == a
            }
        }
    }

    private static func number(_ value: Value) -> Number? {
        switch value {
        case .int(let i): .integer(i)
        case .uint(let u): .unsigned(u)
        case .double(let d): .real(d)
        default: nil
        }
    }
}
