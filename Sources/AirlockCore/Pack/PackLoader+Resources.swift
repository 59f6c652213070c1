import CEL
import Yams

extension PackLoader {
    static let resourceKeys = ["description", "operations", "reversible", "fields", "amount_field"]
    static let fieldKeys = [
        "type", "required", "min", "max", "min_length", "max_length", "pattern", "enum", "class", "track_new",
        "description",
    ]

    func readResources(_ section: Section) {
        guard let all = entries(section.value, of: "resources", allowed: nil) else { return }
        for (name, keyAt, value) in all.items {
            guard Self.isName(name) else {
                report("resource name '\(name)' may hold only letters, digits, '_', '-' and '.'", at: keyAt, .invalidValue)
                continue
            }
            if let first = resourceLocations[name] {
                report("resource '\(name)' is already declared at \(first)", at: keyAt, .duplicate)
                continue
            }
            resourceLocations[name] = keyAt.location
            if let schema = readResource(name, value) {
                resources[name] = schema
                resourceOrder.append(name)
            }
        }
    }

    private func readResource(_ name: String, _ at: Located) -> ResourceSchema? {
        let what = "resource '\(name)'"
        guard let e = entries(at, of: what, allowed: Self.resourceKeys) else { return nil }
        var operations: [Mutation.Operation] = []
        if let node = require("operations", in: e, of: what), let items = strings(node, "an operation") {
            for (text, item) in items {
                guard let operation = choice(item, "an operation", Mutation.Operation.self) else { continue }
                if operations.contains(operation) {
                    report("operation '\(text)' is listed twice", at: item, .duplicate)
                } else {
                    operations.append(operation)
                }
            }
            if items.isEmpty { report("\(what) allows no operation", at: node, .invalidValue) }
        }
        let reversible = e["reversible"].flatMap { bool($0, "reversible") } ?? false
        var fields: [String: FieldSchema] = [:]
        var order: [String] = []
        if let node = e["fields"], let list = entries(node, of: "the fields of \(what)", allowed: nil) {
            for (fieldName, keyAt, value) in list.items {
                guard Self.isIdentifier(fieldName) else {
                    report(
                        "field name '\(fieldName)' must be an identifier (letters, digits, _; not starting with a digit)",
                        at: keyAt, .invalidValue)
                    continue
                }
                if let field = readField(fieldName, of: name, value) {
                    fields[fieldName] = field
                    order.append(fieldName)
                }
            }
        }
        var amountField: String?
        if let node = e["amount_field"], let text = string(node, "amount_field") {
            if let field = fields[text] {
                if field.type.isNumeric {
                    amountField = text
                } else {
                    report("amount_field '\(text)' must name a number or integer field", at: node, .invalidValue)
                }
            } else {
                report(
                    Suggestion.message("amount_field '\(text)' is not a field of \(what)", word: text, candidates: order),
                    at: node, .invalidValue)
            }
        } else if let amount = fields["amount"], amount.type.isNumeric {
            amountField = "amount"
        }
        return ResourceSchema(
            name: name, description: e["description"].flatMap { string($0, "description") }, operations: operations,
            reversible: reversible, fields: fields, fieldOrder: order, amountField: amountField,
            trackedFields: order.filter { fields[$0]?.trackNew == true })
    }

    private func readField(_ name: String, of resource: String, _ at: Located) -> FieldSchema? {
        let what = "field '\(name)' of '\(resource)'"
        guard let e = entries(at, of: what, allowed: Self.fieldKeys) else { return nil }
        guard let typeNode = require("type", in: e, of: what), let type = choice(typeNode, "type", FieldType.self)
        else { return nil }
        var field = FieldSchema(
            name: name, type: type, required: false, minimum: nil, maximum: nil, minLength: nil, maxLength: nil,
            pattern: nil, allowed: nil, dataClass: nil, trackNew: false, description: nil, patternProgram: nil,
            classRank: nil)
        field.required = e["required"].flatMap { bool($0, "required") } ?? false
        field.trackNew = e["track_new"].flatMap { bool($0, "track_new") } ?? false
        field.description = e["description"].flatMap { string($0, "description") }
        for key in ["min", "max"] {
            guard let node = e[key] else { continue }
            guard type.isNumeric else {
                report("\(key) applies to number and integer fields, not \(type)", at: node, .invalidValue)
                continue
            }
            if key == "min" { field.minimum = double(node, key) } else { field.maximum = double(node, key) }
        }
        if let low = field.minimum, let high = field.maximum, low > high, let node = e["max"] {
            report("max (\(CanonicalJSON.doubleText(high))) is below min (\(CanonicalJSON.doubleText(low)))", at: node, .invalidValue)
        }
        for key in ["min_length", "max_length"] {
            guard let node = e[key] else { continue }
            guard type == .string else {
                report("\(key) applies to string fields, not \(type)", at: node, .invalidValue)
                continue
            }
            guard let n = int(node, key) else { continue }
            if n < 0 { report("\(key) must not be negative", at: node, .invalidValue) }
            if key == "min_length" { field.minLength = n } else { field.maxLength = n }
        }
        if let low = field.minLength, let high = field.maxLength, low > high, let node = e["max_length"] {
            report("max_length (\(high)) is below min_length (\(low))", at: node, .invalidValue)
        }
        if let node = e["pattern"] {
            if type != .string {
                report("pattern applies to string fields, not \(type)", at: node, .invalidValue)
            } else if let pattern = string(node, "pattern") {
                field.pattern = pattern
                field.patternProgram = compilePattern(pattern, at: node)
            }
        }
        if let node = e["enum"], let items = sequence(node, "enum") {
            var allowed: [Value] = []
            for item in items {
                let value = YAMLValue.value(of: item.node)
                if let normalized = Validator.normalize(value, as: type) {
                    allowed.append(normalized)
                } else {
                    report("enum value '\(item.scalarText ?? "…")' is not a \(type)", at: item, .invalidValue)
                }
            }
            if items.isEmpty { report("enum allows no value", at: node, .invalidValue) }
            field.allowed = allowed
        }
        if let node = e["class"], let text = string(node, "class") {
            if let rank = classRank[text] {
                field.dataClass = text
                field.classRank = rank
            } else {
                let declared = classes.isEmpty ? " (the pack declares no classes)" : ""
                report(
                    Suggestion.message("undeclared data class '\(text)'\(declared)", word: text, candidates: classes),
                    at: node, .undeclaredClass)
            }
        }
        return field
    }

    /// Compiles a field pattern as the CEL check `value.matches("pattern")`, and runs it once so
    /// that a malformed regular expression is reported at load.
    private func compilePattern(_ pattern: String, at node: Located) -> Program? {
        var literal = "\""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "\\": literal += "\\\\"
            case "\"": literal += "\\\""
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            default: literal.unicodeScalars.append(scalar)
            }
        }
        literal += "\""
        let program: Program
        do {
            program = try Environment(variables: ["value": .string]).compile("value.matches(\(literal))")
        } catch {
            report("pattern does not compile: \(error.issues.map(\.message).joined(separator: "; "))", at: node, .invalidValue)
            return nil
        }
        var activation = Activation()
        activation["value"] = .string("")
        do {
            _ = try program.evaluate(activation)
        } catch {
            report("pattern is not a valid regular expression: \(error.message)", at: node, .invalidValue)
            return nil
        }
        return program
    }

    func readLists(_ section: Section) {
        guard let all = entries(section.value, of: "lists", allowed: nil) else { return }
        for (name, keyAt, value) in all.items {
            guard Self.isIdentifier(name) else {
                report(
                    "list name '\(name)' must be an identifier (letters, digits, _; not starting with a digit)", at: keyAt,
                    .invalidValue)
                continue
            }
            if let first = listLocations[name] {
                report("list '\(name)' is already declared at \(first)", at: keyAt, .duplicate)
                continue
            }
            listLocations[name] = keyAt.location
            guard let items = sequence(value, "list '\(name)'") else { continue }
            var values: [Value] = []
            var kinds: Set<String> = []
            for item in items {
                let v = YAMLValue.value(of: item.node)
                switch v {
                case .string: kinds.insert("string")
                case .int: kinds.insert("int")
                case .double: kinds.insert("double")
                default:
                    report("list '\(name)' may hold strings or numbers only", at: item, .invalidValue)
                    continue
                }
                values.append(v)
            }
            let type: CELType
            if kinds.contains("string") {
                if kinds.count > 1 {
                    report("list '\(name)' mixes strings and numbers", at: value, .invalidValue)
                    continue
                }
                type = .list(.string)
            } else if kinds.contains("double") {
                values = values.map { if case .int(let i) = $0 { .double(Double(i)) } else { $0 } }
                type = .list(.double)
            } else if kinds.contains("int") {
                type = .list(.int)
            } else {
                type = .list(.string)
            }
            lists.append((name, .list(values), type))
        }
    }

    func readBusinessHours() {
        guard let section = single("business_hours"),
            let e = entries(section.value, of: "business_hours", allowed: ["days", "from", "to", "utc_offset"])
        else { return }
        var days: Set<BusinessHours.Weekday> = []
        if let node = require("days", in: e, of: "business_hours"), let items = strings(node, "a day") {
            for (text, item) in items {
                guard let parsed = Self.days(text) else {
                    report("'\(text)' is not a day (mon … sun) or a range of days (mon-fri)", at: item, .invalidValue)
                    continue
                }
                days.formUnion(parsed)
            }
        }
        let from = require("from", in: e, of: "business_hours").flatMap { node in
            string(node, "from").flatMap { text in
                let minute = Self.minuteOfDay(text)
                if minute == nil { report("from must be a time of day HH:MM, not '\(text)'", at: node, .invalidValue) }
                return minute
            }
        }
        let to = require("to", in: e, of: "business_hours").flatMap { node in
            string(node, "to").flatMap { text in
                let minute = Self.minuteOfDay(text)
                if minute == nil { report("to must be a time of day HH:MM (up to 24:00), not '\(text)'", at: node, .invalidValue) }
                return minute
            }
        }
        var offset = 0
        if let node = e["utc_offset"], let text = string(node, "utc_offset") {
            if let seconds = Self.utcOffset(text) {
                offset = seconds
            } else {
                report("utc_offset must look like +01:00, -05:30 or Z, not '\(text)'", at: node, .invalidValue)
            }
        }
        guard let from, let to else { return }
        if from >= to, let node = e["to"] {
            report("to (\(node.scalarText ?? "")) must be after from; hours spanning midnight are not supported", at: node, .invalidValue)
            return
        }
        businessHours = BusinessHours(days: days, startMinute: from, endMinute: to, utcOffsetSeconds: offset)
    }

    static func days(_ text: String) -> Set<BusinessHours.Weekday>? {
        func day(_ name: Substring) -> BusinessHours.Weekday? {
            BusinessHours.Weekday.allCases.first { $0.name == name.lowercased() }
        }
        for separator in ["..", "-"] {
            if let range = text.firstRange(of: separator) {
                guard let first = day(text[..<range.lowerBound]), let last = day(text[range.upperBound...]),
                    first <= last
                else { return nil }
                return Set(BusinessHours.Weekday.allCases.filter { $0 >= first && $0 <= last })
            }
        }
        return day(Substring(text)).map { [$0] }
    }

    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            h >= 0, m >= 0, m < 60, h < 24 || (h == 24 && m == 0)
        else { return nil }
        return h * 60 + m
    }

    static func utcOffset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-",
            let minutes = minuteOfDay(String(text.dropFirst())), minutes < 24 * 60
        else { return nil }
        return (sign == "-" ? -60 : 60) * minutes
    }
}
