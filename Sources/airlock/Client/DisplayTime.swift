import Foundation

/// The server's RFC 3339 times as a person reads them: `2025-03-01 14:05:09Z`, and how far a time
/// is from now (`in 3h 59m`, `12m ago`). Times the client cannot read are shown as given.
struct DisplayTime {
    /// The moment "now" is measured from (injected, so output is reproducible).
    var now: Date

    /// The time without its fraction, a space for the `T`.
    func absolute(_ text: String) -> String {
        guard let date = Self.parse(text) else { return text }
        let printer = ISO8601DateFormatter()
        printer.formatOptions = [.withInternetDateTime]
        printer.timeZone = TimeZone(identifier: "UTC")
        return printer.string(from: date).replacingOccurrences(of: "T", with: " ")
    }

    /// The time and its distance from now: `2025-03-01 14:05:09Z (in 3h 59m)`.
    func withDistance(_ text: String) -> String {
        guard let date = Self.parse(text) else { return text }
        return "\(absolute(text)) (\(distance(to: date)))"
    }

    /// `in 3h 59m`, `12m ago`, `now`.
    func distance(to date: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        if abs(seconds) < 1 { return "now" }
        let span = Self.span(abs(seconds))
        return seconds > 0 ? "in \(span)" : "\(span) ago"
    }

    /// A duration in its two largest units: `2d 3h`, `3h 59m`, `4m 10s`, `8s`.
    static func span(_ seconds: Int) -> String {
        let (days, hours, minutes, rest) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }

    /// Reads an RFC 3339 time, with or without a fraction.
    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
