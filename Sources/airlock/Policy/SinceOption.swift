import AirlockCore
import ArgumentParser
import CEL
import Foundation

/// The start of a window given as `--since`: a duration back from now (`30m`, `24h`, `7d`) or an
/// RFC 3339 time (`2026-01-06T00:00:00Z`).
enum SinceOption {
    static func start(_ text: String, now: Date = Date()) throws -> Date {
        if let seconds = DurationText.seconds(text) { return now.addingTimeInterval(-Double(seconds)) }
        if let time = RFC3339.parse(text) {
            return Date(timeIntervalSince1970: Double(time.seconds) + Double(time.nanos) / 1e9)
        }
        throw ValidationError("--since: '\(text)' is neither a duration (30m, 24h, 7d) nor an RFC 3339 time (2026-01-06T00:00:00Z)")
    }

    /// The window's start for a sentence: "the last 7d" or the time.
    static func describe(_ text: String) -> String {
        DurationText.seconds(text) != nil ? "the last \(text)" : "since \(text)"
    }
}
