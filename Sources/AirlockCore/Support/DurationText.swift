/// Durations written in a pack (`sla: 4h`, `30m`, `1h30m`, `90s`, `2d`), in whole seconds.
public enum DurationText {
    /// Seconds of a text like `1h30m`; `nil` if malformed or zero-length.
    public static func seconds(_ text: String) -> Int? {
        var total = 0
        var number: Int?
        var sawUnit = false
        for scalar in text.unicodeScalars {
            if let digit = scalar.properties.numericType == .decimal ? Int(String(scalar)) : nil,
                scalar.isASCII
            {
                let (product, overflow) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, sumOverflow) = product.addingReportingOverflow(digit)
                if overflow || sumOverflow { return nil }
                number = sum
                continue
            }
            guard let value = number else { return nil }
            let unit: Int
            switch scalar {
            case "d": unit = 86_400
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            if overflow || sumOverflow { return nil }
            total = sum
            number = nil
            sawUnit = true
        }
        guard number == nil, sawUnit else { return nil }
        return total
    }

    /// The shortest text of a number of seconds (`3600` → `1h`, `5400` → `1h30m`).
    static func text(_ seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out
    }
}
