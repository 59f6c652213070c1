/// The proleptic Gregorian calendar behind timestamps: days since 1970-01-01 to and from a civil
/// date. Public so that every part of Airlock converts dates the same way.
public enum CivilCalendar {
    /// Days since 1970-01-01 of a civil date (month 1–12, day 1–31).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        TimeFormat.days(year: year, month: month, day: day)
    }

    /// The civil date of a day count since 1970-01-01.
    public static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        TimeFormat.civil(days: days)
    }
}

extension Timestamp {
    /// Parses RFC 3339 (`2025-01-06T09:30:00Z`, `2025-01-06T10:30:00.25+01:00`) as CEL's
    /// `timestamp()` does; `nil` when malformed or out of CEL's range.
    public init?(rfc3339 text: String) {
        guard let parsed = try? TimeFormat.parseTimestamp(text) else { return nil }
        self = parsed
    }

    /// RFC 3339 in UTC, with a fraction only when there is one (trailing zeros trimmed), as CEL's
    /// `string(timestamp)` prints it.
    public var rfc3339: String { TimeFormat.format(self) }
}
