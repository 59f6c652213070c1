import CEL

/// The pack's business hours, in a fixed offset from UTC (no daylight-saving rules: a pack for a
/// zone with summer time states the offset it wants, or is updated twice a year).
public struct BusinessHours: Sendable, Hashable {
    /// A day of the week, Monday first (ISO 8601).
    public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable {
        case mon = 1, tue, wed, thu, fri, sat, sun

        /// The three-letter name used in packs (`mon`).
        public var name: String { "\(self)" }

        public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The working days.
    public var days: Set<Weekday>
    /// The first working minute of the day (`08:00` → 480), local time.
    public var startMinute: Int
    /// The minute work stops, exclusive (`18:00` → 1080; `24:00` → 1440), local time.
    public var endMinute: Int
    /// The local time's offset from UTC, in seconds (`+01:00` → 3600).
    public var utcOffsetSeconds: Int

    public init(days: Set<Weekday>, startMinute: Int, endMinute: Int, utcOffsetSeconds: Int) {
        self.days = days
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Whether `time` falls inside business hours.
    public func contains(_ time: Timestamp) -> Bool {
        let local = time.seconds + Int64(utcOffsetSeconds)
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let minute = Int((local - day * 86_400) / 60)
        // 1970-01-01 was a Thursday.
        let weekday = Int(((day + 3) % 7 + 7) % 7) + 1
        guard let weekday = Weekday(rawValue: weekday), days.contains(weekday) else { return false }
        return minute >= startMinute && minute < endMinute
    }
}
