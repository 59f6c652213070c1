import CEL

/// The common line read without building a JSON value of the whole line: its keys are found by
/// skimming the bytes, `time` and `label` are read in place, an actor whose JSON text was seen
/// before is reused without being parsed again, and only the mutation becomes a ``Value``.
///
/// It accepts a subset of what the general path accepts and gives the same record: anything
/// unusual (an escape in a key or in the time, an unknown or repeated key, a missing one, a
/// malformed value, deep nesting) returns `nil`, and the general path reads the line and reports
/// its problem.
extension StreamParser {
    /// An actor's JSON text and the actor built from it.
    struct KnownActor {
        var text: [UInt8]
        var actor: Actor
    }

    private enum Key: UInt8 {
        case time = 1, actor = 2, mutation = 4, label = 8, id = 16
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// The record of a line, or `nil` when the general path must read it.
    mutating func fastRecord(_ b: UnsafeBufferPointer<UInt8>, line: Int) -> StreamRecord? {
        var i = Self.skipSpace(b, 0)
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var seen: UInt8 = 0
        var time: Timestamp?
        var actor: Actor?
        var mutation: Range<Int>?
        var label: StreamRecord.Label?
        var id: String?
        while true {
            i = Self.skipSpace(b, i)
            guard i < b.count, b[i] == Self.quote else { return nil }
            let keyStart = i + 1
            var keyEnd = keyStart
            while keyEnd < b.count, b[keyEnd] != Self.quote {
                if b[keyEnd] == Self.backslash { return nil }
                keyEnd += 1
            }
            guard keyEnd < b.count, let key = Self.key(b, keyStart..<keyEnd), seen & key.rawValue == 0 else { return nil }
            seen |= key.rawValue
            i = Self.skipSpace(b, keyEnd + 1)
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            let start = Self.skipSpace(b, i + 1)
            guard let end = Self.skipValue(b, start) else { return nil }
            let value = start..<end
            switch key {
            case .time:
                guard let parsed = Self.time(b, value) else { return nil }
                time = parsed
            case .actor:
                guard let known = knownActor(b, value, line: line) else { return nil }
                actor = known
            case .mutation:
                mutation = value
            case .label:
                guard let read = Self.label(b, value) else { return nil }
                label = read
            case .id:
                guard let text = Self.plainString(b, value) else { return nil }
                id = text
            }
            i = Self.skipSpace(b, end)
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "}"), Self.skipSpace(b, i + 1) == b.count else { return nil }
            break
        }
        guard let time, let actor, let mutation,
            let text = String(validating: UnsafeBufferPointer(rebasing: b[mutation]), as: UTF8.self),
            let document = try? Value(json: text), case .map(let fields) = document
        else { return nil }
        let result: Result<Mutation, ValidationFailure>
        var resource = ""
        if let plain = Self.plainMutation(fields) {
            result = .success(plain)
            resource = plain.resource
        } else {
            let read = Mutation.read(jsonValue: document)
            if case .string(let name)? = fields.value(forField: "resource") { resource = name }
            if let parsed = read.mutation, read.issues.isEmpty {
                result = .success(parsed)
            } else {
                result = .failure(ValidationFailure(issues: read.issues))
            }
        }
        return StreamRecord(
            line: line, id: id, time: time, actor: actor, mutation: result, resource: resource, label: label)
    }

    /// The mutation of a well-formed document, as `Mutation.read` reads it; `nil` for anything
    /// else (`Mutation.read` then says what is wrong).
    static func plainMutation(_ fields: CELMap) -> Mutation? {
        var resource: String?
        var operation: Mutation.Operation?
        var target: String?
        var targets: [String]?
        var changes = CELMap()
        var before: CELMap?
        var context: CELMap?
        var key: String?
        var plain = true
        fields.forEachInPlace { name, value in
            guard plain, case .string(let name) = name.pointee else {
                plain = false
                return
            }
            let value = value.pointee
            if case .null = value { return }
            switch (name, value) {
            case ("resource", .string(let text)): resource = text
            case ("operation", .string(let text)):
                operation = Mutation.Operation(rawValue: text)
                plain = operation != nil
            case ("target", .string(let text)): target = text
            case ("targets", .list(let items)):
                var ids: [String] = []
                ids.reserveCapacity(items.count)
                for item in items {
                    guard case .string(let id) = item else {
                        plain = false
                        return
                    }
                    ids.append(id)
                }
                targets = ids
            case ("changes", .map(let map)): changes = map
            case ("before", .map(let map)): before = map
            case ("context", .map(let map)): context = map
            case ("idempotency_key", .string(let text)): key = text
            default: plain = false
            }
        }
        guard plain, let resource, let operation else { return nil }
        return Mutation(
            resource: resource, operation: operation, target: target, targets: targets, changes: changes, before: before,
            context: context, idempotencyKey: key)
    }

    /// The actor of a JSON text seen before, or the one it makes now (`nil`: not an actor; the
    /// general path says why).
    private mutating func knownActor(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int) -> Actor? {
        let bytes = UnsafeBufferPointer(rebasing: b[range])
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        let hash = hasher.finalize()
        if let known = actorTexts[hash], known.text.elementsEqual(bytes) { return known.actor }
        guard let text = String(validating: bytes, as: UTF8.self), let value = try? Value(json: text),
            let actor = try? StreamRecord.actor(value, line: line)
        else { return nil }
        actorTexts[hash] = KnownActor(text: Array(bytes), actor: actor)
        return actor
    }

    private static func key(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Key? {
        switch range.count {
        case 4 where b[range.lowerBound] == UInt8(ascii: "t"): return matches(b, range, "time") ? .time : nil
        case 5 where b[range.lowerBound] == UInt8(ascii: "a"): return matches(b, range, "actor") ? .actor : nil
        case 5 where b[range.lowerBound] == UInt8(ascii: "l"): return matches(b, range, "label") ? .label : nil
        case 8: return matches(b, range, "mutation") ? .mutation : nil
        case 2: return matches(b, range, "id") ? .id : nil
        default: return nil
        }
    }

    private static func matches(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in b[range].elementsEqual(w) }
    }

    private static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        return i
    }

    /// The end of the JSON value starting at `start`, by its brackets and strings (what is inside
    /// is checked by whoever reads the value); `nil` when it is cut short or nested deeply.
    private static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start
        var depth = 0
        repeat {
            guard i < b.count else { return nil }
            switch b[i] {
            case quote:
                i += 1
                while i < b.count, b[i] != quote { i += b[i] == backslash ? 2 : 1 }
                guard i < b.count else { return nil }
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth < 48 else { return nil }
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { return nil }
                i += 1
            case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
                guard depth > 0 else { return nil }
                i += 1
            default:
                // A scalar: up to the next delimiter.
                while i < b.count, !Self.isDelimiter(b[i]) { i += 1 }
            }
        } while depth > 0
        return i
    }

    private static func isDelimiter(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x09 || c == 0x0A
            || c == 0x0D || c == UInt8(ascii: ":") || c == quote || c == UInt8(ascii: "{") || c == UInt8(ascii: "[")
    }

    /// A JSON string without escapes, as text.
    private static func plainString(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count >= 2, b[range.lowerBound] == quote, b[range.upperBound - 1] == quote else { return nil }
        let inner = UnsafeBufferPointer(rebasing: b[(range.lowerBound + 1)..<(range.upperBound - 1)])
        guard !inner.contains(backslash), !inner.contains(where: { $0 < 0x20 }) else { return nil }
        return String(validating: inner, as: UTF8.self)
    }

    private static func label(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> StreamRecord.Label?? {
        if matches(b, range, "null") { return .some(nil) }
        if matches(b, range, "\"bad\"") { return .bad }
        if matches(b, range, "\"benign\"") { return .benign }
        return nil
    }

    /// `"YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"`, read as ``RFC3339/parse(_:)`` reads it;
    /// `nil` for anything else (another spelling it accepts is read by it).
    static func time(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Timestamp? {
        guard range.count >= 22, b[range.lowerBound] == quote, b[range.upperBound - 1] == quote else { return nil }
        var i = range.lowerBound + 1
        let end = range.upperBound - 1
        func number(_ width: Int) -> Int64? {
            guard i + width <= end else { return nil }
            var n: Int64 = 0
            for _ in 0..<width {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int64(b[i] - 48)
                i += 1
            }
            return n
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < end, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), expect(UInt8(ascii: "T")), let hour = number(2), expect(UInt8(ascii: ":")),
            let minute = number(2), expect(UInt8(ascii: ":")), let second = number(2)
        else { return slowTime(b, range) }
        var nanos: Int64 = 0
        if i < end, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < end, b[i] >= 48, b[i] <= 57, digits < 9 {
                nanos = nanos * 10 + Int64(b[i] - 48)
                digits += 1
                i += 1
            }
            guard digits > 0, i < end, b[i] < 48 || b[i] > 57 else { return slowTime(b, range) }
            for _ in digits..<9 { nanos *= 10 }
        }
        var offset: Int64 = 0
        if expect(UInt8(ascii: "Z")) {
        } else if i < end, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2), expect(UInt8(ascii: ":")), let om = number(2), oh < 24, om < 60 else {
                return slowTime(b, range)
            }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return slowTime(b, range)
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: Int64 =
            switch month {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        guard i == end, (1...12).contains(month), day >= 1, day <= monthDays, hour < 24, minute < 60, second < 60 else {
            return slowTime(b, range)
        }
        let seconds =
            CivilCalendar.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        let time = Timestamp(seconds: seconds, nanos: Int32(nanos))
        return time.isValid ? time : nil
    }

    /// Any other spelling of a time, as ``RFC3339/parse(_:)`` reads it.
    private static func slowTime(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Timestamp? {
        guard let text = plainString(b, range) else { return nil }
        return RFC3339.parse(text)
    }
}
