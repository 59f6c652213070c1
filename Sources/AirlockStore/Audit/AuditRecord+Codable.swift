import CEL
import Foundation

/// The JSON form of a record, used by exports and proofs (docs/audit.md, "Export"):
///
/// ```json
/// {"actor":"agent-7","hash":"…","kind":"submitted","mutation_id":"m-1","payload":"{\"amount\":120}",
///  "policy_version":null,"prev_hash":"…","seq":1,"time":"2025-11-25T17:10:00.123456Z","time_us":1764090600123456}
/// ```
///
/// `payload` stays a JSON string holding the exact canonical text, so that a verifier hashes the
/// same bytes the store hashed. `time` is for people; `time_us` is what the hash covers.
extension AuditRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case seq
        case time
        case timeMicros = "time_us"
        case kind
        case mutationID = "mutation_id"
        case actor
        case policyVersion = "policy_version"
        case payload
        case previousHash = "prev_hash"
        case hash
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            seq: try container.decode(Int64.self, forKey: .seq),
            timeMicros: try container.decode(Int64.self, forKey: .timeMicros),
            kind: try container.decode(AuditKind.self, forKey: .kind),
            mutationID: try container.decodeIfPresent(String.self, forKey: .mutationID),
            actor: try container.decode(String.self, forKey: .actor),
            payload: try container.decode(String.self, forKey: .payload),
            policyVersion: try container.decodeIfPresent(String.self, forKey: .policyVersion),
            previousHash: try container.decode(AuditHash.self, forKey: .previousHash),
            hash: try container.decode(AuditHash.self, forKey: .hash))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(AuditTime.rfc3339(micros: timeMicros), forKey: .time)
        try container.encode(timeMicros, forKey: .timeMicros)
        try container.encode(kind, forKey: .kind)
        try container.encode(mutationID, forKey: .mutationID)
        try container.encode(actor, forKey: .actor)
        try container.encode(policyVersion, forKey: .policyVersion)
        try container.encode(payload, forKey: .payload)
        try container.encode(previousHash, forKey: .previousHash)
        try container.encode(hash, forKey: .hash)
    }
}

/// Audit times as text.
public enum AuditTime {
    /// RFC 3339 in UTC with microseconds: `2025-11-25T17:10:00.123456Z`.
    public static func rfc3339(micros: Int64) -> String {
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses what ``rfc3339(micros:)`` prints, and RFC 3339 times with fewer fraction digits or
    /// none, with `Z` or a `±hh:mm` offset.
    public static func micros(rfc3339 text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= utf8.count else { return nil }
            var value: Int64 = 0
            for byte in utf8[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard utf8.count >= 20, utf8[4] == 45, utf8[7] == 45, utf8[10] == 84 || utf8[10] == 116 || utf8[10] == 32,
            utf8[13] == 58, utf8[16] == 58,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < utf8.count && utf8[index] == 46 {
            index += 1
            var digits = 0
            while index < utf8.count, (48...57).contains(utf8[index]) {
                if digits < 6 {
                    fraction = fraction * 10 + Int64(utf8[index] - 48)
                }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { fraction *= 10 }
        }
        var offset: Int64 = 0
        guard index < utf8.count else { return nil }
        if utf8[index] == 90 || utf8[index] == 122 {
            index += 1
        } else if utf8[index] == 43 || utf8[index] == 45, let hours = number(index + 1..<index + 3),
            index + 3 < utf8.count, utf8[index + 3] == 58, let minutes = number(index + 4..<index + 6)
        {
            offset = (hours * 60 + minutes) * 60 * (utf8[index] == 43 ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == utf8.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) - offset) * 1_000_000 + fraction
    }

    private static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let date = CivilCalendar.date(days: days)
        return (date.year, date.month, date.day)
    }

    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        CivilCalendar.days(year: year, month: month, day: day)
    }
}
