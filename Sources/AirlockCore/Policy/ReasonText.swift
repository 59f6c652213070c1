import CEL

/// How values read in a reason's `${…}` are written: strings as they are, whole doubles without a
/// fraction (`12000`), other doubles in their shortest form, lists as `[a, b]`, maps as JSON.
enum ReasonText {
    static func format(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d):
            if d.isFinite, d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
            return CanonicalJSON.doubleText(d)
        case .string(let s): return s
        case .list(let items): return "[" + items.map(format).joined(separator: ", ") + "]"
        case .timestamp(let t): return RFC3339.format(t)
        case .bytes, .map, .duration, .type: return CanonicalJSON.encode(value)
        }
    }
}
