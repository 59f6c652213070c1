/// A point in time with nanosecond precision, in the range CEL allows
/// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z).
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Seconds since the Unix epoch.
    public var seconds: Int64
    /// Nanoseconds within the second, 0 ..< 1_000_000_000.
    public var nanos: Int32

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// Seconds of 0001-01-01T00:00:00Z.
    public static let minSeconds: Int64 = -62_135_596_800
    /// Seconds of 9999-12-31T23:59:59Z.
    public static let maxSeconds: Int64 = 253_402_300_799

    /// Whether the value lies in CEL's range.
    public var isValid: Bool { seconds >= Self.minSeconds && seconds <= Self.maxSeconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }
}

/// A signed span of time with nanosecond precision (CEL's `google.protobuf.Duration`).
public struct CELDuration: Sendable, Hashable, Comparable {
    /// Whole seconds; carries the sign.
    public var seconds: Int64
    /// Nanoseconds, with the same sign as `seconds` (or zero).
    public var nanos: Int32

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// Whether the duration is in CEL's range: one int64 of nanoseconds, about ±292 years.
    public var isValid: Bool { totalNanoseconds != nil }

    /// The duration in nanoseconds, if it fits in 64 bits.
    public var totalNanoseconds: Int64? {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return nil }
        let (sum, overflow2) = product.addingReportingOverflow(Int64(nanos))
        return overflow2 ? nil : sum
    }

    /// Builds a normalized duration from nanoseconds.
    public init(nanoseconds: Int64) {
        self.seconds = nanoseconds / 1_000_000_000
        self.nanos = Int32(nanoseconds % 1_000_000_000)
    }

    public static func < (lhs: CELDuration, rhs: CELDuration) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }
}
