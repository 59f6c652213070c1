import CEL
import Yams

/// YAML (and JSON, which these rules read as YAML) turned into CEL values.
///
/// Plain scalars are resolved with the YAML 1.2 core schema, not YAML 1.1: `yes`, `no`, `on`,
/// `off` and `08:00` stay strings; `null`, `~` and an empty value are null; `true`/`false`
/// (any case style) are booleans; `12`, `-3`, `0x1f`, `0o17` are ints; `1.5`, `1e3`, `.inf`,
/// `.nan` are doubles. Quoted and block scalars are always strings; an explicit `!!str`, `!!int`,
/// `!!float`, `!!bool` or `!!null` tag is honoured.
public enum YAMLValue {
    /// Parses one YAML or JSON document into a value. `file` names it in errors.
    public static func parse(_ text: String, file: String = "<input>") throws(PolicyError) -> Value {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw PolicyError(problems: [yamlProblem(error, file: file, text: text)])
        }
        guard let node else { return .null }
        return value(of: node)
    }

    /// The value of a composed node.
    static func value(of node: Node) -> Value {
        switch node {
        case .scalar(let scalar):
            return resolve(scalar)
        case .sequence(let sequence):
            return .list(sequence.map { value(of: $0) })
        case .mapping(let mapping):
            var map = CELMap()
            for (key, item) in mapping {
                map[mapKey(of: key)] = value(of: item)
            }
            return .map(map)
        case .alias:
            return .null
        }
    }

    /// A node used as a map key: a resolved scalar that can be a key, else its text.
    static func mapKey(of node: Node) -> MapKey {
        guard case .scalar(let scalar) = node else { return .string("\(node)") }
        switch resolve(scalar) {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .uint(let u): return .uint(u)
        default: return .string(scalar.string)
        }
    }

    /// Resolves a scalar by the core schema.
    static func resolve(_ scalar: Node.Scalar) -> Value {
        let text = scalar.string
        switch scalar.tag.description {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:int": return integer(text) ?? .string(text)
        case "tag:yaml.org,2002:float": return float(text) ?? integer(text).map(asDouble) ?? .string(text)
        case "tag:yaml.org,2002:bool": return boolean(text).map(Value.bool) ?? .string(text)
        case "tag:yaml.org,2002:null": return .null
        default: break
        }
        guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
        if text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null }
        if let b = boolean(text) { return .bool(b) }
        if let i = integer(text) { return i }
        if let d = float(text) { return d }
        return .string(text)
    }

    private static func asDouble(_ value: Value) -> Value {
        switch value {
        case .int(let i): .double(Double(i))
        case .uint(let u): .double(Double(u))
        default: value
        }
    }

    private static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; beyond Int64, a UInt64 or else nil.
    private static func integer(_ text: String) -> Value? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        var radix = 10
        if body.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        if radix == 10, !body.allSatisfy(\.isNumber) { return nil }
        guard let magnitude = UInt64(body, radix: radix) else { return nil }
        if negative {
            if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
            if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            return nil
        }
        if magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        return .uint(magnitude)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan`.
    private static func float(_ text: String) -> Value? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let scalars = Array(text.unicodeScalars)
        var i = 0
        if i < scalars.count, scalars[i] == "-" || scalars[i] == "+" { i += 1 }
        var digits = 0
        while i < scalars.count, ("0"..."9").contains(scalars[i]) {
            i += 1
            digits += 1
        }
        if i < scalars.count, scalars[i] == "." {
            i += 1
            while i < scalars.count, ("0"..."9").contains(scalars[i]) {
                i += 1
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
            i += 1
            if i < scalars.count, scalars[i] == "-" || scalars[i] == "+" { i += 1 }
            var exponentDigits = 0
            while i < scalars.count, ("0"..."9").contains(scalars[i]) {
                i += 1
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return nil }
        }
        guard i == scalars.count, let d = Double(text) else { return nil }
        return .double(d)
    }

    /// A Yams error as a located problem; `text` is the document, to place a duplicated key at
    /// its second occurrence (Yams marks only the first).
    static func yamlProblem(_ error: any Error, file: String, text: String) -> PolicyProblem {
        if let error = error as? YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                var message = "YAML: \(problem)"
                if let context { message += " (\(context.text) at \(context.mark.line):\(context.mark.column))" }
                return PolicyProblem(
                    location: PackLocation(file: file, line: mark.line, column: mark.column), message: message,
                    code: .yamlSyntax)
            case .duplicatedKeysInMapping(let duplicates, let context):
                let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                let first = (line: context.mark.line, column: context.mark.column)
                let again = duplicates.first.flatMap { Self.nextOccurrence(of: $0, after: first, in: text) } ?? first
                return PolicyProblem(
                    location: PackLocation(file: file, line: again.line, column: again.column),
                    message: "YAML: duplicated key \(keys) in a mapping (first at \(file):\(first.line):\(first.column))",
                    code: .yamlSyntax)
            case .reader(let problem, _, _, _):
                return PolicyProblem(
                    location: PackLocation(file: file, line: 1, column: 1), message: "YAML: \(problem)",
                    code: .yamlSyntax)
            default:
                break
            }
        }
        return PolicyProblem(
            location: PackLocation(file: file, line: 1, column: 1), message: "YAML: \(error)", code: .yamlSyntax)
    }

    /// Where `key` is written again after its first occurrence (1-based line and column): in the
    /// same flow mapping on that line, or on a later line at the same column (block style).
    static func nextOccurrence(of key: String, after first: (line: Int, column: Int), in text: String)
        -> (line: Int, column: Int)?
    {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(at column: Int, in line: [Unicode.Scalar]) -> Bool {
            guard column >= 0, column + keyScalars.count <= line.count,
                Array(line[column..<(column + keyScalars.count)]) == keyScalars
            else { return false }
            var rest = line[(column + keyScalars.count)...].drop { $0 == " " || $0 == "\t" }
            if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
            return rest.first == ":"
        }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let sameLine = lines[first.line - 1]
        var column = first.column  // 0-based, just past the first occurrence's first scalar
        while column < sameLine.count {
            if (sameLine[column - 1] == "," || sameLine[column - 1] == " " || sameLine[column - 1] == "{"
                || sameLine[column - 1] == "\"" || sameLine[column - 1] == "'"), isKey(at: column, in: sameLine)
            {
                return (first.line, column + 1)
            }
            column += 1
        }
        for index in first.line..<lines.count where isKey(at: first.column - 1, in: lines[index]) {
            let before = lines[index].prefix(first.column - 1)
            if before.allSatisfy({ $0 == " " || $0 == "-" }) { return (index + 1, first.column) }
        }
        return nil
    }
}
