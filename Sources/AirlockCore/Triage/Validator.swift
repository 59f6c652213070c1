import CEL

/// Checks a mutation against its resource's schema and normalizes its values (numbers to the
/// field's type), reporting every problem with its path. Nothing invalid reaches the rules.
public enum Validator {
    /// The mutation with normalized values, or every problem found.
    public static func validate(_ mutation: Mutation, in pack: PolicyPack) throws(ValidationFailure) -> Mutation {
        guard let resource = pack.compiled[mutation.resource] else {
            throw ValidationFailure(
                path: "resource",
                message: Suggestion.message(
                    "unknown resource '\(mutation.resource)'", word: mutation.resource, candidates: pack.resourceOrder))
        }
        return try validate(mutation, resource: resource)
    }

    static func validate(_ mutation: Mutation, resource: CompiledResource) throws(ValidationFailure) -> Mutation {
        try normalization(of: mutation, resource: resource).applied(to: mutation)
    }

    /// The maps of a valid mutation whose values had to be normalized (`nil`: kept as they are).
    struct Normalization {
        var changes: CELMap?
        var before: CELMap?

        /// Nothing to change: the mutation is valid as it is.
        var isNone: Bool { changes == nil && before == nil }

        func applied(to mutation: Mutation) -> Mutation {
            var result = mutation
            if let changes { result.changes = changes }
            if let before { result.before = before }
            return result
        }
    }

    /// Checks a mutation; returns the maps whose values had to be normalized, so that a valid
    /// mutation needing none is used as it is, without a copy.
    static func normalization(of mutation: Mutation, resource: CompiledResource) throws(ValidationFailure) -> Normalization {
        var issues: [ValidationIssue] = []
        let operation = mutation.operation
        if resource.operationBits & CompiledResource.bit(operation) == 0 {
            let schema = resource.schema
            issues.append(
                ValidationIssue(
                    path: "operation",
                    message:
                        "\(operation) is not allowed on \(schema.name) (allowed: \(schema.operations.map(\.rawValue).joined(separator: ", ")))"
                ))
        }
        checkTargets(mutation, into: &issues)

        var result = Normalization()
        switch operation {
        case .delete where !mutation.changes.isEmpty:
            issues.append(ValidationIssue(path: "changes", message: "a delete carries no changes"))
        case .update where mutation.changes.isEmpty:
            issues.append(ValidationIssue(path: "changes", message: "an update changes at least one field"))
        default:
            break
        }
        var present: UInt64 = 0
        if let changes = normalize(
            mutation.changes, resource: resource, section: "changes", strict: true, present: &present, into: &issues)
        {
            result.changes = changes
        }
        if operation == .create {
            for (i, name) in resource.required.enumerated()
            where i < 64 ? present & (1 << UInt64(i)) == 0 : mutation.changes[name] == nil {
                issues.append(ValidationIssue(path: "changes.\(name)", message: "is required"))
            }
        }
        var ignored: UInt64 = 0
        if let before = mutation.before,
            let normalized = normalize(
                before, resource: resource, section: "before", strict: false, present: &ignored, into: &issues)
        {
            result.before = normalized
        }
        guard issues.isEmpty else { throw ValidationFailure(issues: issues) }
        return result
    }

    private static func checkTargets(_ mutation: Mutation, into issues: inout [ValidationIssue]) {
        if mutation.target != nil, mutation.targets != nil {
            issues.append(ValidationIssue(path: "targets", message: "give target or targets, not both"))
        }
        if let target = mutation.target, target.isEmpty {
            issues.append(ValidationIssue(path: "target", message: "must not be empty"))
        }
        if let targets = mutation.targets {
            if mutation.operation == .create {
                issues.append(ValidationIssue(path: "targets", message: "a create makes one record; targets are for bulk updates and deletes"))
            }
            if targets.isEmpty {
                issues.append(ValidationIssue(path: "targets", message: "must list at least one record"))
            }
            var seen: Set<String> = []
            let small = targets.count <= 16
            if !small { seen.reserveCapacity(targets.count) }
            for (i, target) in targets.enumerated() {
                if target.isEmpty {
                    issues.append(ValidationIssue(path: "targets[\(i)]", message: "must not be empty"))
                } else if small ? targets[..<i].contains(target) : !seen.insert(target).inserted {
                    issues.append(ValidationIssue(path: "targets[\(i)]", message: "'\(target)' is listed twice"))
                }
            }
        } else if mutation.target == nil, mutation.operation != .create {
            issues.append(
                ValidationIssue(
                    path: "target", message: "an \(mutation.operation) needs a target (or targets, for a bulk change)"))
        }
    }

    /// Checks each field of `map`; returns a new map only when a value had to be normalized.
    /// `strict` (changes): unknown fields and constraint violations are problems. Not strict
    /// (before): only declared fields are checked, and only for their type.
    private static func normalize(
        _ map: CELMap, resource: CompiledResource, section: String, strict: Bool, present: inout UInt64,
        into issues: inout [ValidationIssue]
    ) -> CELMap? {
        var result: CELMap?
        // In place: a valid mutation's fields are checked without counting a reference to each.
        map.forEachInPlace { keyPointer, valuePointer in
            guard case .string(let name) = keyPointer.pointee else {
                issues.append(ValidationIssue(path: section, message: "field names must be strings, not \(keyPointer.pointee)"))
                return
            }
            let value = valuePointer.pointee
            let known: Void? = resource.fields.withCheck(name) { check in
                present |= check.requiredBit
                if case .null = value {
                    if strict, check.field.required {
                        issues.append(ValidationIssue(path: "\(section).\(name)", message: "is required and cannot be null"))
                    }
                    return
                }
                guard let normalized = normalize(value, as: check.type) else {
                    issues.append(ValidationIssue(path: "\(section).\(name)", message: typeMessage(value, check.type)))
                    return
                }
                if strict { Self.check(normalized, field: check, section: section, into: &issues) }
                if !sameRepresentation(value, normalized) {
                    if result == nil { result = map }
                    result![.string(name)] = normalized
                }
            }
            if known == nil, strict {
                issues.append(
                    ValidationIssue(
                        path: "\(section).\(name)",
                        message: Suggestion.message(
                            "unknown field of \(resource.schema.name)", word: name, candidates: resource.schema.fieldOrder)))
            }
        }
        return result
    }

    /// A value converted to a field type: numbers to double for `number`, integral numbers to int
    /// for `integer`; `nil` when the value is not of the type (or not finite).
    static func normalize(_ value: Value, as type: FieldType) -> Value? {
        switch (type, value) {
        case (.any, _): return value
        case (.string, .string): return value
        case (.boolean, .bool): return value
        case (.number, .double(let d)): return d.isFinite ? value : nil
        case (.number, .int(let i)): return .double(Double(i))
        case (.number, .uint(let u)): return .double(Double(u))
        case (.integer, .int): return value
        case (.integer, .uint(let u)): return u <= UInt64(Int64.max) ? .int(Int64(u)) : nil
        case (.integer, .double(let d)):
            guard d.isFinite, d.rounded() == d, d >= -9.223_372_036_854_775_808e18, d < 9.223_372_036_854_775_808e18
            else { return nil }
            return .int(Int64(d))
        default: return nil
        }
    }

    private static func sameRepresentation(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.double, .double), (.int, .int), (.string, .string), (.bool, .bool): true
        default: false
        }
    }

    private static func typeMessage(_ value: Value, _ type: FieldType) -> String {
        switch (type, value) {
        case (.number, .double):
            return "must be a finite number"
        case (.integer, .double(let d)) where d.isFinite && d.rounded() == d:
            return "is out of range for an integer"
        case (.integer, .double(let d)):
            return "must be a whole number, not \(CanonicalJSON.doubleText(d))"
        case (.integer, .uint):
            return "is out of range for an integer"
        default:
            let expected =
                switch type {
                case .string: "a string"
                case .number: "a number"
                case .integer: "a whole number"
                case .boolean: "true or false"
                case .any: "a value"
                }
            let actual = if case .null = value { "null" } else { value.typeValue.name }
            return "must be \(expected), not \(actual)"
        }
    }

    private static func check(_ value: Value, field check: FieldCheck, section: String, into issues: inout [ValidationIssue]) {
        // Everything is read from the check itself: binding `check.field` would copy the schema.
        func fail(_ message: String) {
            issues.append(ValidationIssue(path: "\(section).\(check.field.name)", message: message))
        }
        switch value {
        case .double(let d):
            if let low = check.minimum, d < low {
                fail("\(CanonicalJSON.doubleText(d)) is below the minimum \(CanonicalJSON.doubleText(low))")
            }
            if let high = check.maximum, d > high {
                fail("\(CanonicalJSON.doubleText(d)) is above the maximum \(CanonicalJSON.doubleText(high))")
            }
        case .int(let i):
            if let low = check.minimum, Double(i) < low { fail("\(i) is below the minimum \(CanonicalJSON.doubleText(low))") }
            if let high = check.maximum, Double(i) > high { fail("\(i) is above the maximum \(CanonicalJSON.doubleText(high))") }
        case .string(let s):
            if check.minLength != nil || check.maxLength != nil {
                // A string has at most as many characters as UTF-8 bytes, and a non-empty one at
                // least one: most strings are settled without counting grapheme clusters.
                let bytes = s.utf8.count
                let settled =
                    (check.maxLength.map { bytes <= $0 } ?? true) && (check.minLength.map { $0 == 0 || ($0 == 1 && bytes > 0) } ?? true)
                if !settled {
                    let length = s.count
                    if let low = check.minLength, length < low { fail("is \(length) characters long, shorter than \(low)") }
                    if let high = check.maxLength, length > high { fail("is \(length) characters long, longer than \(high)") }
                }
            }
            if !check.matchesPattern(s) {
                fail("does not match the pattern \(check.field.pattern ?? "")")
            }
        default:
            break
        }
        guard check.allowed != nil else { return }
        let isAllowed: Bool
        if case .string(let s) = value, let strings = check.allowedStrings {
            isAllowed = strings.contains(s)
        } else {
            isAllowed = check.allowed?.contains(where: { same(value, $0) }) ?? true
        }
        if !isAllowed, let allowed = check.allowed {
            let list = allowed.map { CanonicalJSON.encode($0) }.joined(separator: ", ")
            fail("\(CanonicalJSON.encode(value)) is not one of \(list)")
        }
    }

    /// Equality of normalized scalar values (an enum check).
    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        default: false
        }
    }
}
