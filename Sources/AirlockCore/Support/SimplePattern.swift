/// A fast matcher for the simple regular expressions field patterns usually are
/// (`^acc-[0-9]{6}$`, `^[^@ ]+@[^@ ]+\.[^@ ]+$`): a sequence of single characters, `.`, escapes
/// and bracket classes, each optionally repeated (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`), with
/// optional `^` and `$` anchors. Semantics are RE2's, as CEL's `matches`: code points, `.` matches
/// anything but a newline, unanchored patterns match anywhere.
///
/// Anything else (groups, alternation, flags, lazy quantifiers, class escapes such as `\d`, whose
/// Unicode reach differs between engines) is not parsed here: ``init(_:)`` returns `nil` and the
/// caller falls back to CEL's `matches`, so both always agree.
final class SimplePattern: Sendable {
    /// A set of code points (while parsing).
    struct CharSet {
        var ranges: [ClosedRange<UInt32>]
        var negated: Bool
    }

    /// One character set repeated between `min` and `max` times (greedy). The set is
    /// `ranges[rangeStart..<rangeEnd]`, negated or not; nothing here is reference counted.
    struct Piece: Sendable {
        var rangeStart: Int
        var rangeEnd: Int
        var negated: Bool
        var min: Int
        var max: Int
        /// The set restricted to ASCII, a bit per code point (0–63, 64–127): an ASCII text, the
        /// usual case, is matched byte by byte against these.
        var asciiLow: UInt64 = 0
        var asciiHigh: UInt64 = 0
    }

    /// The bounds of every piece's ranges, flattened: low, high, low, high…
    private let bounds: [UInt32]
    let pieces: [Piece]
    let anchoredStart: Bool
    let anchoredEnd: Bool

    /// Parses `pattern`; `nil` when it uses anything outside the simple subset.
    init?(_ pattern: String) {
        guard let parsed = Self.parse(pattern) else { return nil }
        (bounds, pieces, anchoredStart, anchoredEnd) = parsed
    }

    private static func parse(_ pattern: String) -> (bounds: [UInt32], pieces: [Piece], anchoredStart: Bool, anchoredEnd: Bool)? {
        var bounds: [UInt32] = []
        var pieces: [Piece] = []
        var anchoredStart = false
        var anchoredEnd = false
        let p = pattern.unicodeScalars.map(\.value)
        var i = 0
        if i < p.count, p[i] == 0x5e {  // ^
            anchoredStart = true
            i += 1
        }
        while i < p.count {
            let c = p[i]
            var set: CharSet
            switch c {
            case 0x24:  // $ : only as the last character
                guard i == p.count - 1 else { return nil }
                anchoredEnd = true
                i += 1
                continue
            case 0x2e:  // .
                set = CharSet(ranges: [0x0a...0x0a], negated: true)
                i += 1
            case 0x5c:  // backslash
                guard i + 1 < p.count, let escaped = Self.escape(p[i + 1]) else { return nil }
                set = escaped
                i += 2
            case 0x5b:  // [
                guard let (parsed, next) = Self.bracket(p, from: i + 1) else { return nil }
                set = parsed
                i = next
            case 0x28, 0x29, 0x7c, 0x2a, 0x2b, 0x3f, 0x7b, 0x7d, 0x5d, 0x5e:  // ( ) | * + ? { } ] ^
                return nil
            default:
                set = CharSet(ranges: [c...c], negated: false)
                i += 1
            }
            let start = bounds.count / 2
            for range in set.ranges { bounds += [range.lowerBound, range.upperBound] }
            var piece = Piece(rangeStart: start, rangeEnd: bounds.count / 2, negated: set.negated, min: 1, max: 1)
            for c in UInt32(0)..<128 where set.ranges.contains(where: { $0.contains(c) }) != set.negated {
                if c < 64 { piece.asciiLow |= 1 << UInt64(c) } else { piece.asciiHigh |= 1 << UInt64(c - 64) }
            }
            var quantified = false
            if i < p.count {
                quantified = [0x3f, 0x2a, 0x2b, 0x7b].contains(p[i])
                switch p[i] {
                case 0x3f:  // ?
                    (piece.min, piece.max) = (0, 1)
                    i += 1
                case 0x2a:  // *
                    (piece.min, piece.max) = (0, Int.max)
                    i += 1
                case 0x2b:  // +
                    (piece.min, piece.max) = (1, Int.max)
                    i += 1
                case 0x7b:  // {
                    guard let (low, high, next) = Self.repetition(p, from: i + 1) else { return nil }
                    (piece.min, piece.max) = (low, high)
                    i = next
                default:
                    break
                }
                // Lazy or possessive modifiers, or a quantifier on a quantifier: not simple.
                if quantified, i < p.count, [0x3f, 0x2a, 0x2b, 0x7b].contains(p[i]) { return nil }
            }
            pieces.append(piece)
        }
        return (bounds, pieces, anchoredStart, anchoredEnd)
    }

    /// `\n`, `\t`, or an escaped punctuation character.
    private static func escape(_ c: UInt32) -> CharSet? {
        switch c {
        case 0x6e: CharSet(ranges: [0x0a...0x0a], negated: false)  // n
        case 0x74: CharSet(ranges: [0x09...0x09], negated: false)  // t
        default:
            // Escaped punctuation stands for itself; escaped letters and digits mean something
            // else in RE2 (\b, \p, \x, \1…), so they are not simple.
            (c < 0x80 && !isAlphanumeric(c)) ? CharSet(ranges: [c...c], negated: false) : nil
        }
    }

    private static func isAlphanumeric(_ c: UInt32) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c)
    }

    /// A bracket class starting after `[`; returns the set and the index after `]`.
    private static func bracket(_ p: [UInt32], from start: Int) -> (CharSet, Int)? {
        var i = start
        var set = CharSet(ranges: [], negated: false)
        if i < p.count, p[i] == 0x5e {
            set.negated = true
            i += 1
        }
        if i < p.count, p[i] == 0x5d { return nil }  // `[]…]`: leave to the full engine
        while i < p.count, p[i] != 0x5d {
            var low: UInt32
            if p[i] == 0x5c {
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                i += 2
                switch e {
                case 0x6e: low = 0x0a
                case 0x74: low = 0x09
                default:
                    guard e < 0x80, !isAlphanumeric(e) else { return nil }
                    low = e
                }
            } else if p[i] == 0x5b {
                return nil  // [[:alpha:]] and friends
            } else {
                low = p[i]
                i += 1
            }
            if i + 1 < p.count, p[i] == 0x2d, p[i + 1] != 0x5d {  // a range a-z
                var high = p[i + 1]
                i += 2
                if high == 0x5c {
                    guard i < p.count, p[i] < 0x80, !isAlphanumeric(p[i]) else { return nil }
                    high = p[i]
                    i += 1
                }
                guard low <= high else { return nil }
                set.ranges.append(low...high)
            } else {
                set.ranges.append(low...low)
            }
        }
        guard i < p.count else { return nil }
        return (set, i + 1)
    }

    /// `n}`, `n,}` or `n,m}` after `{`.
    private static func repetition(_ p: [UInt32], from start: Int) -> (Int, Int, Int)? {
        var i = start
        func number() -> Int? {
            var value: Int?
            while i < p.count, (0x30...0x39).contains(p[i]) {
                value = (value ?? 0) * 10 + Int(p[i] - 0x30)
                if value! > 1000 { return nil }
                i += 1
            }
            return value
        }
        guard let low = number() else { return nil }
        var high = low
        if i < p.count, p[i] == 0x2c {
            i += 1
            high = number() ?? Int.max
        }
        guard i < p.count, p[i] == 0x7d, low <= high else { return nil }
        return (low, high, i + 1)
    }

    /// Whether the pattern matches `text` (anywhere, unless anchored).
    func matches(_ text: String) -> Bool {
        // Native strings are read in place; others (bridged) through a copy.
        if let result = text.utf8.withContiguousStorageIfAvailable({ matches(utf8: $0) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { matches(utf8: $0) }
    }

    private func matches(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        return pieces.withUnsafeBufferPointer { pieces in
            if ascii { return search(pieces, ASCIIText(bytes: bytes)) }
            let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars.map(\.value)
            return scalars.withUnsafeBufferPointer { scalars in
                bounds.withUnsafeBufferPointer { bounds in search(pieces, ScalarText(scalars: scalars, bounds: bounds)) }
            }
        }
    }

    /// Whether some start position (only the first, when anchored) matches.
    private func search<Text: PatternText>(_ pieces: UnsafeBufferPointer<Piece>, _ text: Text) -> Bool {
        let matcher = Matcher(pieces: pieces, text: text, anchoredEnd: anchoredEnd)
        if anchoredStart { return matcher.match(0, 0) }
        for start in 0...text.count where matcher.match(0, start) { return true }
        return false
    }

    /// The backtracking search, over borrowed buffers; specialized for each kind of text.
    private struct Matcher<Text: PatternText> {
        let pieces: UnsafeBufferPointer<Piece>
        let text: Text
        let anchoredEnd: Bool

        func match(_ index: Int, _ position: Int) -> Bool {
            if index == pieces.count { return !anchoredEnd || position == text.count }
            let piece = pieces[index]
            var count = 0
            var q = position
            while count < piece.max, q < text.count, text.piece(piece, accepts: q) {
                count += 1
                q += 1
            }
            if count < piece.min { return false }
            while true {
                if match(index + 1, position + count) { return true }
                if count == piece.min { return false }
                count -= 1
            }
        }
    }
}

/// A text a ``SimplePattern`` searches: its length, and whether a piece accepts the character at
/// a position.
private protocol PatternText {
    var count: Int { get }
    func piece(_ piece: SimplePattern.Piece, accepts position: Int) -> Bool
}

/// ASCII text, its bytes tested against each piece's bitmap.
private struct ASCIIText: PatternText {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    @inline(__always)
    func piece(_ piece: SimplePattern.Piece, accepts position: Int) -> Bool {
        let byte = bytes[position]
        let bits = byte < 64 ? piece.asciiLow >> UInt64(byte) : piece.asciiHigh >> UInt64(byte &- 64)
        return bits & 1 != 0
    }
}

/// Any text, as code points tested against each piece's ranges.
private struct ScalarText: PatternText {
    let scalars: UnsafeBufferPointer<UInt32>
    /// The flattened bounds of every piece's ranges (``SimplePattern``'s).
    let bounds: UnsafeBufferPointer<UInt32>
    var count: Int { scalars.count }

    @inline(__always)
    func piece(_ piece: SimplePattern.Piece, accepts position: Int) -> Bool {
        let c = scalars[position]
        var found = false
        var i = piece.rangeStart
        while i < piece.rangeEnd {
            if c >= bounds[2 * i], c <= bounds[2 * i + 1] {
                found = true
                break
            }
            i += 1
        }
        return found != piece.negated
    }
}
