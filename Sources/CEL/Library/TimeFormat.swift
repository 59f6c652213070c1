/// Parsing and printing of timestamps (RFC 3339) and durations (`1h2m3.5s`), and the civil
/// calendar arithmetic behind the timestamp getters.
enum TimeFormat {
    // MARK: Civil calendar (proleptic Gregorian)

    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * m + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    // MARK: Timestamps

    static func parseTimestamp(_ text: String) throws(EvalError) -> Timestamp {
        let bad = EvalError(.invalidArgument, "invalid timestamp '\(text)': expected RFC 3339, e.g. 2024-01-31T12:00:00Z")
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) throws(EvalError) -> Int64 {
            guard i + width <= b.count else { throw bad }
            var n: Int64 = 0
            for _ in 0..<width {
                guard b[i] >= 48, b[i] <= 57 else { throw bad }
                n = n * 10 + Int64(b[i] - 48)
                i += 1
            }
            return n
        }
        func expect(_ c: UInt8) throws(EvalError) {
            guard i < b.count, b[i] == c else { throw bad }
            i += 1
        }
        let year = try number(4)
        try expect(UInt8(ascii: "-"))
        let month = try number(2)
        try expect(UInt8(ascii: "-"))
        let day = try number(2)
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") else { throw bad }
        i += 1
        let hour = try number(2)
        try expect(UInt8(ascii: ":"))
        let minute = try number(2)
        try expect(UInt8(ascii: ":"))
        let second = try number(2)
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw bad }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { throw bad }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try number(2)
            try expect(UInt8(ascii: ":"))
            let om = try number(2)
            guard oh < 24, om < 60 else { throw bad }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            throw bad
        }
        guard i == b.count, (1...12).contains(month), day >= 1, day <= daysInMonth(year, month), hour < 24,
            minute < 60, second < 61
        else { throw bad }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        let t = Timestamp(seconds: seconds, nanos: Int32(nanos))
        guard t.isValid else { throw EvalError(.overflow, "timestamp out of range: '\(text)'") }
        return t
    }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// RFC 3339 in UTC, with as many fractional digits as needed.
    static func format(_ t: Timestamp) -> String {
        let day = floorDiv(t.seconds, 86_400)
        let secondOfDay = t.seconds - day * 86_400
        let (y, m, d) = civil(days: day)
        if (0...9999).contains(y) {
            // The common case, written digit by digit into one buffer (this runs for every
            // timestamp a server writes into JSON).
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
                var count = 0
                func digits(_ value: Int64, _ width: Int) {
                    var value = value
                    for k in stride(from: width - 1, through: 0, by: -1) {
                        buffer[count + k] = UInt8(truncatingIfNeeded: 48 + value % 10)
                        value /= 10
                    }
                    count += width
                }
                func byte(_ character: Unicode.Scalar) {
                    buffer[count] = UInt8(character.value)
                    count += 1
                }
                digits(y, 4)
                byte("-")
                digits(m, 2)
                byte("-")
                digits(d, 2)
                byte("T")
                digits(secondOfDay / 3600, 2)
                byte(":")
                digits(secondOfDay / 60 % 60, 2)
                byte(":")
                digits(secondOfDay % 60, 2)
                if t.nanos != 0 {
                    byte(".")
                    digits(Int64(t.nanos), 9)
                    while buffer[count - 1] == 48 { count -= 1 }
                }
                byte("Z")
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
            }
        }
        var text = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if t.nanos != 0 { text += "." + fraction(Int64(t.nanos)) }
        return text + "Z"
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Nanoseconds as fractional digits without trailing zeros.
    private static func fraction(_ nanos: Int64) -> String {
        var digits = pad(nanos, 9)
        while digits.hasSuffix("0") { digits.removeLast() }
        return digits
    }

    // MARK: Durations

    /// Parses Go-style durations: an optional sign and a sequence of decimal numbers with units
    /// `h`, `m`, `s`, `ms`, `us` (or `µs`), `ns`, such as `1h30m` or `-1.5s`.
    static func parseDuration(_ text: String) throws(EvalError) -> CELDuration {
        let bad = EvalError(.invalidArgument, "invalid duration '\(text)': expected e.g. 1h30m, 90s or 1.5s")
        var scalars = Array(text.unicodeScalars)
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars.removeFirst()
        }
        guard !scalars.isEmpty else { throw bad }
        if scalars == ["0"] { return CELDuration(seconds: 0) }
        var total: Int64 = 0  // nanoseconds, with overflow checks
        var i = 0
        while i < scalars.count {
            var whole: Int64 = 0
            var fraction: Int64 = 0
            var fractionScale: Int64 = 1
            var sawDigit = false
            while i < scalars.count, let d = digit(scalars[i]) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1, !o2 else { throw EvalError(.overflow, "duration out of range: '\(text)'") }
                whole = a
                sawDigit = true
                i += 1
            }
            if i < scalars.count, scalars[i] == "." {
                i += 1
                while i < scalars.count, let d = digit(scalars[i]) {
                    if fractionScale < 1_000_000_000_000_000 {
                        fraction = fraction * 10 + d
                        fractionScale *= 10
                    }
                    sawDigit = true
                    i += 1
                }
            }
            guard sawDigit else { throw bad }
            var unit = ""
            while i < scalars.count, !(scalars[i] == "." || digit(scalars[i]) != nil) {
                unit.unicodeScalars.append(scalars[i])
                i += 1
            }
            let scale: Int64
            switch unit {
            case "h": scale = 3_600_000_000_000
            case "m": scale = 60_000_000_000
            case "s": scale = 1_000_000_000
            case "ms": scale = 1_000_000
            case "us", "µs", "μs": scale = 1000
            case "ns": scale = 1
            default: throw bad
            }
            let (part, o1) = whole.multipliedReportingOverflow(by: scale)
            let fractionPart = Int64((Double(fraction) / Double(fractionScale) * Double(scale)).rounded(.towardZero))
            let (sum, o2) = total.addingReportingOverflow(part)
            let (sum2, o3) = sum.addingReportingOverflow(fractionPart)
            guard !o1, !o2, !o3 else { throw EvalError(.overflow, "duration out of range: '\(text)'") }
            total = sum2
        }
        let duration = CELDuration(nanoseconds: negative ? -total : total)
        guard duration.isValid else { throw EvalError(.overflow, "duration out of range: '\(text)'") }
        return duration
    }

    private static func digit(_ scalar: Unicode.Scalar) -> Int64? {
        scalar.value >= 48 && scalar.value <= 57 ? Int64(scalar.value - 48) : nil
    }

    /// Seconds with a fractional part when needed: `3600s`, `1.5s`, `-0.000000001s`.
    static func format(_ d: CELDuration) -> String {
        let negative = d.seconds < 0 || d.nanos < 0
        let seconds = d.seconds.magnitude
        let nanos = Int64(d.nanos.magnitude)
        var text = (negative ? "-" : "") + String(seconds)
        if nanos != 0 { text += "." + fraction(nanos) }
        return text + "s"
    }
}
