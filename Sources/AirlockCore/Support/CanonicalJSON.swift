import CEL
import Crypto

/// The canonical JSON text of a ``Value``: the same value always gives the same bytes, so the text
/// can be hashed (policy versions, mutation content hashes).
///
/// The rules:
/// - No whitespace anywhere.
/// - Map keys are sorted by their UTF-8 bytes (that is, by Unicode code point). Non-string keys are
///   written as strings (`1`, `true`), so `{1: x}` and `{"1": x}` encode alike.
/// - `int` and `uint` are written as integers (`-12`, `18446744073709551615`).
/// - `double` is written in the shortest form that reads back to the same number, always with a
///   fraction or an exponent so it stays distinct from an integer (`1.0`, `0.1`, `1e+20`,
///   `-0.0`); NaN and the infinities, which JSON cannot hold, as the strings `"NaN"`,
///   `"Infinity"` and `"-Infinity"`.
/// - Strings escape `"`, `\` and control characters (`\b \f \n \r \t`, else `\u00XX` in lowercase
///   hex); everything else, including non-ASCII, is written as raw UTF-8.
/// - Timestamps as RFC 3339 strings in UTC (`"2025-01-06T09:30:00Z"`), durations as strings of
///   seconds (`"90s"`, `"1.5s"`), bytes as base64 strings, types as their names.
public enum CanonicalJSON {
    /// The canonical text of `value`.
    public static func encode(_ value: Value) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical UTF-8 bytes of `value`.
    public static func bytes(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, to: &out)
        return out
    }

    /// The SHA-256 hex digest of the canonical bytes: a content hash of `value`.
    public static func hash(_ value: Value) -> String {
        Hex.encode(SHA256.hash(data: bytes(value)))
    }

    static func write(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .uint(let u): out.append(contentsOf: String(u).utf8)
        case .double(let d): writeDouble(d, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .bytes(let b): writeString(base64(b), to: &out)
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let map) where isSortedByStringKey(map):
            // Already in canonical order (maps built with sorted keys): no copy, no sort.
            out.append(UInt8(ascii: "{"))
            var first = true
            map.forEach { key, value in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if case .string(let name) = key { writeString(name, to: &out) }
                out.append(UInt8(ascii: ":"))
                write(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .map(let map):
            var entries: [(key: String, value: Value)] = []
            entries.reserveCapacity(map.count)
            map.forEach { key, value in entries.append((keyText(key), value)) }
            entries.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            out.append(UInt8(ascii: "{"))
            for (i, entry) in entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(entry.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .timestamp(let t): writeString(RFC3339.format(t), to: &out)
        case .duration(let d): writeString(durationText(d), to: &out)
        case .type(let t): writeString(t.name, to: &out)
        }
    }

    /// Whether every key is a string and the keys are in canonical (UTF-8 byte) order.
    private static func isSortedByStringKey(_ map: CELMap) -> Bool {
        var sorted = true
        var previous: String?
        map.forEach { key, _ in
            guard sorted else { return }
            guard case .string(let name) = key else {
                sorted = false
                return
            }
            if let previous, !previous.utf8.lexicographicallyPrecedes(name.utf8) { sorted = false }
            previous = name
        }
        return sorted
    }

    /// The text of a double as canonical JSON writes it (also used for messages).
    static func doubleText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        // Swift's description is the shortest round-trip form ("0.1", "1e+20", "5e-324", "1.0").
        return d.description
    }

    private static func writeDouble(_ d: Double, to out: inout [UInt8]) {
        if d.isFinite {
            out.append(contentsOf: doubleText(d).utf8)
        } else {
            writeString(doubleText(d), to: &out)
        }
    }

    private static func keyText(_ key: MapKey) -> String {
        switch key {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .uint(let u): String(u)
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // One pass over the bytes without an early exit (which keeps the loop simple enough to
        // vectorize): most strings need no escape and are appended whole.
        let plain =
            s.utf8.withContiguousStorageIfAvailable { bytes in
                var special: UInt8 = 0
                for b in bytes { special |= (b < 0x20 ? 1 : 0) | (b == 0x22 ? 1 : 0) | (b == 0x5c ? 1 : 0) }
                return special == 0
            } ?? !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }
        if plain {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5c, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func durationText(_ d: CELDuration) -> String {
        if d.nanos == 0 { return "\(d.seconds)s" }
        let negative = d.seconds < 0 || d.nanos < 0
        var fraction = String(abs(Int(d.nanos)))
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + "\(abs(d.seconds)).\(fraction)s"
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(contentsOf: [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)],
            ])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.append(contentsOf: [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 0x3d, 0x3d])
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(contentsOf: [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 0x3d,
            ])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
