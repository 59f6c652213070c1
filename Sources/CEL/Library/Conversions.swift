/// The type conversion functions `int`, `uint`, `double`, `string`, `bool`, `timestamp`,
/// `duration`. Each returns `nil` when no overload takes the argument's type.
enum Conversions {
    static func toInt(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .int: return value
        case .uint(let u):
            guard u <= UInt64(Int64.max) else { throw EvalError(.overflow, "int range error: \(u)u") }
            return .int(Int64(u))
        case .double(let d):
            // Doubles at the very ends of the range do not round-trip reliably; refuse them.
            guard d.isFinite, d > -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_807.0 else {
                throw EvalError(.overflow, "int range error: \(d)")
            }
            return .int(Int64(d.rounded(.towardZero)))
        case .string(let s):
            guard let i = Int64(s) else { throw EvalError(.invalidArgument, "cannot convert '\(s)' to int") }
            return .int(i)
        case .timestamp(let t): return .int(t.seconds)
        default: return nil
        }
    }

    static func toUInt(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .uint: return value
        case .int(let i):
            guard i >= 0 else { throw EvalError(.overflow, "uint range error: \(i)") }
            return .uint(UInt64(i))
        case .double(let d):
            guard d.isFinite, d > -1, d < 18_446_744_073_709_551_615.0 else {
                throw EvalError(.overflow, "uint range error: \(d)")
            }
            return .uint(UInt64(d.rounded(.towardZero)))
        case .string(let s):
            guard let u = UInt64(s) else { throw EvalError(.invalidArgument, "cannot convert '\(s)' to uint") }
            return .uint(u)
        default: return nil
        }
    }

    static func toDouble(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .double: return value
        case .int(let i): return .double(Double(i))
        case .uint(let u): return .double(Double(u))
        case .string(let s):
            guard let d = parseDouble(s) else {
                throw EvalError(.invalidArgument, "cannot convert '\(s)' to double")
            }
            return .double(d)
        default: return nil
        }
    }

    /// Accepts decimal and exponent forms, `inf`, `-inf`, `nan` (any case, as other CEL runtimes do).
    static func parseDouble(_ s: String) -> Double? {
        switch s.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: break
        }
        guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 101 || $0 == 69 || $0 == 43 || $0 == 45 }) else {
            return nil
        }
        return Double(s)
    }

    static func toString(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .string: return value
        case .int(let i): return .string(String(i))
        case .uint(let u): return .string(String(u))
        case .double(let d): return .string(formatDouble(d))
        case .bool(let b): return .string(b ? "true" : "false")
        case .bytes(let b):
            guard let s = String(validating: b, as: UTF8.self) else {
                throw EvalError(.invalidArgument, "invalid UTF-8 in bytes, cannot convert to string")
            }
            return .string(s)
        case .timestamp(let t): return .string(TimeFormat.format(t))
        case .duration(let d): return .string(TimeFormat.format(d))
        case .type(let t): return .string(t.name)
        default: return nil
        }
    }

    /// Formats a double the way other CEL runtimes print it: shortest round-trip digits, no
    /// trailing `.0` for whole numbers below 1e21, exponent form beyond.
    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        var text = "\(d)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    static func toBool(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .bool: return value
        case .string(let s):
            switch s {
            case "1", "t", "true", "TRUE", "True": return .bool(true)
            case "0", "f", "false", "FALSE", "False": return .bool(false)
            default: throw EvalError(.invalidArgument, "cannot convert '\(s)' to bool")
            }
        default: return nil
        }
    }

    static func toTimestamp(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .timestamp: return value
        case .string(let s): return .timestamp(try TimeFormat.parseTimestamp(s))
        case .int(let i):
            let t = Timestamp(seconds: i)
            guard t.isValid else { throw EvalError(.overflow, "timestamp out of range: \(i)") }
            return .timestamp(t)
        default: return nil
        }
    }

    static func toDuration(_ value: Value) throws(EvalError) -> Value? {
        switch value {
        case .duration: return value
        case .string(let s): return .duration(try TimeFormat.parseDuration(s))
        case .int(let i): return .duration(CELDuration(nanoseconds: i))
        default: return nil
        }
    }
}
