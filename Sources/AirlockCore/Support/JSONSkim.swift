import CEL

/// Reading JSON text without building a ``Value`` of all of it: finding where values end by their
/// brackets and strings, walking an object's members or a list's elements, and reading plain
/// strings and RFC 3339 times in place. For the fast paths of reading many records (a stream's
/// lines, recorded decisions): each takes what it needs and leaves the rest unread, and gives up
/// (`nil`, `false`) on anything unusual, for the general path (which says what is wrong) to read.
///
/// What is skipped is checked for its structure only (brackets, strings closed), not for its
/// contents: a fast path reads only what the gateway's own canonical encoder wrote, or gives way.
enum JSONSkim {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    static func matches(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in b[range].elementsEqual(w) }
    }

    static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        return i
    }

    /// The end of the JSON value starting at `start`, by its brackets and strings (what is inside
    /// is checked by whoever reads the value); `nil` when it is cut short or nested deeply.
    static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start
        var depth = 0
        repeat {
            guard i < b.count else { return nil }
            switch b[i] {
            case quote:
                guard let end = stringEnd(b, i + 1) else { return nil }
                i = end + 1
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

    /// The index of the quote closing a string whose text starts at `start`; `nil` when it is
    /// cut short. Eight bytes at a time while they hold neither a quote nor a backslash.
    @inline(__always)
    static func stringEnd(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        guard let base = b.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(quote)
        let backslashes = ones &* UInt64(backslash)
        var i = start
        while i < b.count {
            if i + 8 <= b.count {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let q = word ^ quotes
                let s = word ^ backslashes
                // A byte of `q` or `s` is zero where the word holds a quote or a backslash.
                if ((q &- ones) & ~q | (s &- ones) & ~s) & highs == 0 {
                    i += 8
                    continue
                }
            }
            let c = base[i]
            if c == quote { return i }
            i += c == backslash ? 2 : 1
        }
        return nil
    }

    static func isDelimiter(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x09 || c == 0x0A
            || c == 0x0D || c == UInt8(ascii: ":") || c == quote || c == UInt8(ascii: "{") || c == UInt8(ascii: "[")
    }

    /// A JSON string without escapes, as text.
    static func plainString(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count >= 2, b[range.lowerBound] == quote, b[range.upperBound - 1] == quote else { return nil }
        return plainText(b, (range.lowerBound + 1)..<(range.upperBound - 1))
    }

    /// The text between a string's quotes (a key, as ``forEachMember(_:_:_:)`` gives it), when it
    /// has no escape and no control character.
    static func plainText(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        let inner = UnsafeBufferPointer(rebasing: b[range])
        // One pass: no escape, no control character, and whether it is all ASCII (then it needs
        // no validation; `String(validating:)` is a generic call that showed in profiles).
        var high: UInt8 = 0
        for c in inner {
            if c == backslash || c < 0x20 { return nil }
            high |= c
        }
        if high < 0x80 { return String(decoding: inner, as: UTF8.self) }
        return String(validating: inner, as: UTF8.self)
    }


    /// Calls `body` with the key (inside its quotes) and the value of each member of the object
    /// spanning `range`, in order; false when it is not an object, a key has an escape, or
    /// `body` returned false.
    @inline(__always)
    static func forEachMember(
        _ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (_ key: Range<Int>, _ value: Range<Int>) -> Bool
    ) -> Bool {
        let end = walkObject(b, skipSpace(b, range.lowerBound), within: range.upperBound) { key, start in
            guard let end = skipValue(b, start), end <= range.upperBound, body(key, start..<end) else { return nil }
            return end
        }
        guard let end else { return false }
        return skipSpace(b, end) >= range.upperBound
    }

    /// Calls `body` with each element of the list spanning `range`, in order; false when it is
    /// not a list or `body` returned false.
    @inline(__always)
    static func forEachElement(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Bool) -> Bool {
        let end = walkList(b, skipSpace(b, range.lowerBound), within: range.upperBound) { start in
            guard let end = skipValue(b, start), end <= range.upperBound, body(start..<end) else { return nil }
            return end
        }
        guard let end else { return false }
        return skipSpace(b, end) >= range.upperBound
    }

    /// Walks the object whose `{` is at `start`, calling `body` with each member's key (inside
    /// its quotes) and where its value starts; `body` reads the value and returns where it ends
    /// (`nil`: give up). The end of the object (after its `}`), or `nil` when it is not an object
    /// ending before `limit`, a key has an escape, or `body` gave up. Each byte is read once:
    /// a value is not skipped first and then read.
    @inline(__always)
    static func walkObject(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, within limit: Int, _ body: (_ key: Range<Int>, _ value: Int) -> Int?
    ) -> Int? {
        var i = start
        guard i < limit, b[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(b, i + 1)
        if i < limit, b[i] == UInt8(ascii: "}") { return i + 1 }
        while true {
            guard i < limit, b[i] == quote else { return nil }
            let keyStart = i + 1
            var keyEnd = keyStart
            while keyEnd < limit, b[keyEnd] != quote {
                if b[keyEnd] == backslash { return nil }
                keyEnd += 1
            }
            guard keyEnd < limit else { return nil }
            i = skipSpace(b, keyEnd + 1)
            guard i < limit, b[i] == UInt8(ascii: ":") else { return nil }
            guard let end = body(keyStart..<keyEnd, skipSpace(b, i + 1)), end <= limit else { return nil }
            i = skipSpace(b, end)
            guard i < limit else { return nil }
            if b[i] == UInt8(ascii: ",") {
                i = skipSpace(b, i + 1)
                continue
            }
            return b[i] == UInt8(ascii: "}") ? i + 1 : nil
        }
    }

    /// Walks the list whose `[` is at `start` as ``walkObject(_:_:within:_:)`` walks an object:
    /// `body` reads each element from where it starts and returns where it ends.
    @inline(__always)
    static func walkList(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, within limit: Int, _ body: (Int) -> Int?) -> Int? {
        var i = start
        guard i < limit, b[i] == UInt8(ascii: "[") else { return nil }
        i = skipSpace(b, i + 1)
        if i < limit, b[i] == UInt8(ascii: "]") { return i + 1 }
        while true {
            guard let end = body(i), end <= limit else { return nil }
            i = skipSpace(b, end)
            guard i < limit else { return nil }
            if b[i] == UInt8(ascii: ",") {
                i = skipSpace(b, i + 1)
                continue
            }
            return b[i] == UInt8(ascii: "]") ? i + 1 : nil
        }
    }

    /// The JSON text spanning `range` read into a ``Value`` by the general parser (in place when
    /// it is all ASCII, as most is: no copy into a string).
    static func value(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Value? {
        let bytes = UnsafeBufferPointer(rebasing: b[range])
        if !bytes.contains(where: { $0 >= 0x80 }) { return try? Value(validUTF8JSON: bytes) }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self) else { return nil }
        return try? Value(json: text)
    }

    /// The value starting at `start`, inside `enclosing` arrays and objects of its text, read by
    /// the general parser, and where it ends: one pass, without finding its end first (`nil`:
    /// not a value, nested deeper than the whole text may be, or not valid UTF-8).
    static func value(_ b: UnsafeBufferPointer<UInt8>, from start: Int, enclosedBy enclosing: Int) -> (Value, end: Int)? {
        // The general path reads the whole text: its nesting bound counts the enclosing levels.
        let limits = JSONLimits(depth: Value.maximumJSONDepth - enclosing)
        guard start < b.count, limits.depth > 0,
            let (value, length) = try? Value.json(prefixOf: UnsafeBufferPointer(rebasing: b[start...]), limits: limits)
        else { return nil }
        let end = start + length
        if isASCII(b, start..<end) { return (value, end) }
        // Read again from text checked to be UTF-8.
        guard let text = String(validating: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self),
            let checked = try? Value(json: text, limits: limits)
        else { return nil }
        return (checked, end)
    }

    /// Whether every byte in `range` is ASCII, eight at a time.
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard let base = b.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < range.upperBound {
            if base[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// A JSON number as a double, read as the general parser reads it (`nil`: not a number).
    static func number(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        switch Value.jsonNumber(UnsafeBufferPointer(rebasing: b[range])) {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        case .uint(let u)?: return Double(u)
        default: return nil
        }
    }

    /// A JSON number that is a whole count, as `ObjectReader.int` reads one (`nil`: anything else).
    static func int(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        switch Value.jsonNumber(UnsafeBufferPointer(rebasing: b[range])) {
        case .int(let i)?: return Int(i)
        case .uint(let u)? where u <= UInt64(Int.max): return Int(u)
        case .double(let d)? where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    /// `true` or `false`.
    static func bool(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool? {
        if matches(b, range, "true") { return true }
        if matches(b, range, "false") { return false }
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
    static func slowTime(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Timestamp? {
        guard let text = plainString(b, range) else { return nil }
        return RFC3339.parse(text)
    }

    /// Whether two byte runs are equal, compared eight bytes at a time.
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        let ra = UnsafeRawPointer(pa)
        let rb = UnsafeRawPointer(pb)
        var i = 0
        while i + 8 <= a.count {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < a.count {
            if pa[i] != pb[i] { return false }
            i += 1
        }
        return true
    }

    /// What was read from JSON texts seen before, by the texts' bytes: records repeat a few
    /// actors, each read once.
    struct Memo<T: Sendable>: Sendable {
        private var known: [Int: (text: [UInt8], value: T)] = [:]

        init() {}

        /// What `read` made of the same text before, or what it makes of it now (`nil`: it could
        /// not, and nothing is remembered).
        mutating func value(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, read: (Value) -> T?) -> T? {
            let bytes = UnsafeBufferPointer(rebasing: b[range])
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            let hash = hasher.finalize()
            if let seen = known[hash], seen.text.withUnsafeBufferPointer({ JSONSkim.equal($0, bytes) }) { return seen.value }
            guard let parsed = JSONSkim.value(b, range), let value = read(parsed) else { return nil }
            known[hash] = (Array(bytes), value)
            return value
        }
    }
}
