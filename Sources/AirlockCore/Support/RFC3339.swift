import CEL

/// Reading and writing RFC 3339 timestamps (`2025-01-06T09:30:00Z`,
/// `2025-01-06T10:30:00.250+01:00`) without Foundation.
public enum RFC3339 {
    /// Parses an RFC 3339 date-time with a `Z` or `±hh:mm` offset; `nil` if malformed. A space
    /// may stand for the `T` (as RFC 3339 allows).
    public static func parse(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        if bytes.count > 10, bytes[10] == 0x20 {
            var fixed = bytes
            fixed[10] = 0x54
            return Timestamp(rfc3339: String(decoding: fixed, as: UTF8.self))
        }
        return Timestamp(rfc3339: text)
    }

    /// Formats a timestamp in UTC (`2025-01-06T09:30:00Z`, with the fraction only when non-zero,
    /// trimmed of trailing zeros).
    public static func format(_ timestamp: Timestamp) -> String {
        timestamp.rfc3339
    }
}
