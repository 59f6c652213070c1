import Foundation

/// The timestamp and duration accessors (`getHours`, `getDayOfWeek`, …), with optional time zone.
enum TimeGetter: String, CaseIterable, Sendable {
    case getFullYear, getMonth, getDate, getDayOfMonth, getDayOfWeek, getDayOfYear
    case getHours, getMinutes, getSeconds, getMilliseconds

    /// Applies the getter to `[receiver]` or `[receiver, timeZone]`; `nil` when no overload fits.
    func apply(_ args: [Value]) throws(EvalError) -> Value? {
        switch (args.count, args.first) {
        case (1, .duration(let d)?): return durationPart(d)
        case (1, .timestamp(let t)?): return timestampPart(t, offset: 0)
        case (2, .timestamp(let t)?):
            guard case .string(let zone) = args[1] else { return nil }
            return timestampPart(t, offset: try Self.offset(of: zone, at: t))
        default: return nil
        }
    }

    private func durationPart(_ d: CELDuration) -> Value? {
        switch self {
        case .getHours: .int(d.seconds / 3600)
        case .getMinutes: .int(d.seconds / 60)
        case .getSeconds: .int(d.seconds)
        case .getMilliseconds: .int(Int64(d.nanos) / 1_000_000)
        default: nil
        }
    }

    private func timestampPart(_ t: Timestamp, offset: Int64) -> Value {
        let local = t.seconds + offset
        let day = TimeFormat.floorDiv(local, 86_400)
        let secondOfDay = local - day * 86_400
        let (year, month, dayOfMonth) = TimeFormat.civil(days: day)
        switch self {
        case .getFullYear: return .int(year)
        case .getMonth: return .int(month - 1)
        case .getDate: return .int(dayOfMonth)
        case .getDayOfMonth: return .int(dayOfMonth - 1)
        case .getDayOfWeek:
            // 1970-01-01 was a Thursday (4); Sunday is 0.
            return .int(((day % 7) + 7 + 4) % 7)
        case .getDayOfYear: return .int(day - TimeFormat.days(year: year, month: 1, day: 1))
        case .getHours: return .int(secondOfDay / 3600)
        case .getMinutes: return .int(secondOfDay / 60 % 60)
        case .getSeconds: return .int(secondOfDay % 60)
        case .getMilliseconds: return .int(Int64(t.nanos) / 1_000_000)
        }
    }

    /// Seconds east of UTC of a time zone at an instant: `UTC`, a fixed offset (`+05:30`,
    /// `-02:30`, `02:00`) or a tz database name (`Europe/Paris`, `US/Central`).
    static func offset(of zone: String, at t: Timestamp) throws(EvalError) -> Int64 {
        if zone == "UTC" || zone == "Z" { return 0 }
        let b = Array(zone.utf8)
        var i = 0
        var sign: Int64 = 1
        if let first = b.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            sign = first == UInt8(ascii: "-") ? -1 : 1
            i = 1
        }
        if b.count - i == 5, b[i + 2] == UInt8(ascii: ":"),
            let hours = Int64(String(decoding: b[i..<(i + 2)], as: UTF8.self)),
            let minutes = Int64(String(decoding: b[(i + 3)...], as: UTF8.self)), hours < 24, minutes < 60
        {
            return sign * (hours * 3600 + minutes * 60)
        }
        guard let timeZone = TimeZone(identifier: zone) else {
            throw EvalError(.invalidArgument, "unknown time zone '\(zone)'")
        }
        let date = Date(timeIntervalSince1970: Double(t.seconds))
        return Int64(timeZone.secondsFromGMT(for: date))
    }
}
