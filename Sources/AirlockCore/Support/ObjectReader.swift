import CEL

/// Reads a JSON-shaped ``Value`` object field by field, collecting every problem as a
/// ``ValidationIssue`` with its path.
struct ObjectReader {
    let map: CELMap
    let prefix: String
    var issues: [ValidationIssue] = []

    /// Starts on `value`, which must be a map with string keys whose names are in `allowed`.
    init(_ value: Value, what: String, prefix: String = "", allowed: [String]) {
        self.prefix = prefix
        guard case .map(let map) = value else {
            self.map = CELMap()
            issues.append(ValidationIssue(path: prefix, message: "\(what) must be an object"))
            return
        }
        self.map = map
        for key in map.keys {
            guard case .string(let name) = key else {
                issues.append(ValidationIssue(path: prefix, message: "keys must be strings, not \(key)"))
                continue
            }
            if !allowed.contains(name) {
                issues.append(
                    ValidationIssue(
                        path: path(name),
                        message: Suggestion.message("unknown key in \(what)", word: name, candidates: allowed)))
            }
        }
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The value of a key, treating an explicit null as absent.
    func value(_ key: String) -> Value? {
        guard let value = map.value(forField: key) else { return nil }
        if case .null = value { return nil }
        return value
    }

    mutating func fail(_ key: String, _ message: String) {
        issues.append(ValidationIssue(path: path(key), message: message))
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = value(key) else {
            if required { fail(key, "is required") }
            return nil
        }
        guard case .string(let s) = value else {
            fail(key, "must be a string, not \(value.typeValue.name)")
            return nil
        }
        return s
    }

    /// A string, or an integer taken as its decimal text (record ids are often numbers).
    mutating func identifier(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        default:
            fail(key, "must be a string, not \(value.typeValue.name)")
            return nil
        }
    }

    mutating func identifiers(_ key: String) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .list(let items) = value else {
            fail(key, "must be a list of strings, not \(value.typeValue.name)")
            return nil
        }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            switch item {
            case .string(let s): result.append(s)
            case .int(let n): result.append(String(n))
            case .uint(let n): result.append(String(n))
            default: issues.append(ValidationIssue(path: "\(path(key))[\(i)]", message: "must be a string, not \(item.typeValue.name)"))
            }
        }
        return result
    }

    mutating func object(_ key: String) -> CELMap? {
        guard let value = value(key) else { return nil }
        guard case .map(let map) = value else {
            fail(key, "must be an object, not \(value.typeValue.name)")
            return nil
        }
        for k in map.keys {
            if case .string = k { continue }
            fail(key, "keys must be strings, not \(k)")
        }
        return map
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let b) = value else {
            fail(key, "must be true or false, not \(value.typeValue.name)")
            return nil
        }
        return b
    }

    mutating func int(_ key: String) -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .int(let i): return Int(i)
        case .uint(let u) where u <= UInt64(Int.max): return Int(u)
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default:
            fail(key, "must be a whole number")
            return nil
        }
    }

    mutating func double(_ key: String) -> Double? {
        guard let value = value(key) else { return nil }
        switch value {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default:
            fail(key, "must be a number, not \(value.typeValue.name)")
            return nil
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: Bool = false) -> T?
    where T.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        fail(key, "must be one of \(names.joined(separator: ", ")), not '\(text)'")
        return nil
    }
}
