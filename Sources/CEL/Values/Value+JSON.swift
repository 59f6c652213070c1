/// A JSON text that could not be read into a ``Value``: where it went wrong and why.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the problem.
    public var line: Int
    /// 1-based column of the problem, in Unicode scalars.
    public var column: Int
    /// What is wrong, for a person.
    public var message: String
    /// The bound of ``JSONLimits`` the text went past, when that is what is wrong: a reader
    /// that configures the limits can name its setting.
    public var limit: JSONLimits.Bound?

    public init(line: Int, column: Int, message: String, limit: JSONLimits.Bound? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.limit = limit
    }

    public var description: String { "\(line):\(column): \(message)" }
}

/// How large a JSON text ``Value/init(json:limits:)`` accepts: a reader of untrusted input
/// bounds what one document can make it build.
public struct JSONLimits: Sendable, Hashable {
    /// The deepest nesting of arrays and objects (at most ``Value/maximumJSONDepth``).
    public var depth: Int
    /// The longest string, in UTF-8 bytes after escapes are read (object keys included).
    public var stringBytes: Int
    /// The most elements of one array, and members of one object.
    public var items: Int

    public init(depth: Int = Value.maximumJSONDepth, stringBytes: Int = .max, items: Int = .max) {
        self.depth = min(depth, Value.maximumJSONDepth)
        self.stringBytes = stringBytes
        self.items = items
    }

    /// One of the bounds.
    public enum Bound: Sendable, Hashable {
        case depth, stringBytes, items
    }

    /// Only the nesting bound, ``Value/maximumJSONDepth``: for text Airlock wrote itself.
    public static let standard = JSONLimits()
}

extension Value {
    /// The deepest nesting of arrays and objects ``init(json:)`` accepts.
    public static let maximumJSONDepth = 64

    /// Reads a value from JSON text (RFC 8259).
    ///
    /// Numbers without a fraction or exponent become `.int`, or `.uint` when above `Int64.max`,
    /// or `.double` beyond `UInt64.max`; other numbers become `.double`. Objects become maps with
    /// string keys, in document order; arrays become lists. Duplicate object keys, nesting deeper
    /// than ``maximumJSONDepth`` and numbers out of `Double`'s range are errors, like malformed
    /// text; each error carries its line and column.
    public init(json: String) throws(JSONError) {
        try self.init(json: json, limits: .standard)
    }

    /// ``init(json:)`` within `limits`: a string, array or object past them, or deeper nesting,
    /// is an error at its position that names the limit.
    public init(json: String, limits: JSONLimits) throws(JSONError) {
        var text = json
        let result = text.withUTF8 { bytes in
            var reader = JSONReader(bytes: bytes, limits: limits)
            return Result { () throws(JSONError) in try reader.readDocument() }
        }
        self = try result.get()
    }

    /// ``init(json:limits:)`` of UTF-8 text its caller has checked (all ASCII, say), read where
    /// it lies instead of being copied into a string first. Invalid UTF-8 in a string is read as
    /// `String(decoding:as:)` reads it (replaced by U+FFFD).
    public init(validUTF8JSON bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .standard) throws(JSONError) {
        var reader = JSONReader(bytes: bytes, limits: limits)
        self = try reader.readDocument()
    }

    /// The JSON value at the start of `bytes` (UTF-8 its caller has checked, as for
    /// ``init(validUTF8JSON:limits:)``) and how many bytes it took; what follows it is not read.
    public static func json(prefixOf bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .standard) throws(JSONError)
        -> (value: Value, length: Int)
    {
        var reader = JSONReader(bytes: bytes, limits: limits)
        let value = try reader.readValue()
        return (value, reader.offset)
    }

    /// The JSON number that is all of `bytes` (no spaces), read as ``init(json:)`` reads it:
    /// `.int`, `.uint` or `.double`; `nil` when `bytes` is anything else.
    public static func jsonNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        var reader = JSONReader(bytes: bytes, limits: .standard)
        guard let number = try? reader.readNumber(), reader.offset == bytes.count else { return nil }
        return number
    }

    /// The value as JSON text, for printing results.
    ///
    /// Bytes are base64, timestamps and durations their protobuf JSON strings
    /// (`"2009-02-13T23:31:30Z"`, `"1.5s"`), types their names, and non-finite doubles the
    /// strings `"NaN"`, `"Infinity"` and `"-Infinity"`. Map keys that are not strings are written
    /// as strings (`1`, `2u` and `true` become `"1"`, `"2"`, `"true"`).
    public func jsonString(prettyPrinted: Bool = false) -> String {
        var output = ""
        output.reserveCapacity(256)
        writeJSON(to: &output, indent: prettyPrinted ? "" : nil)
        return output
    }

    private func writeJSON(to output: inout String, indent: String?) {
        switch self {
        case .null: output += "null"
        case .bool(let b): output += b ? "true" : "false"
        case .int(let i): output += String(i)
        case .uint(let u): output += String(u)
        case .double(let d):
            if d.isNaN {
                output += "\"NaN\""
            } else if d.isInfinite {
                output += d < 0 ? "\"-Infinity\"" : "\"Infinity\""
            } else {
                output += Self.decimalText(d)
            }
        case .string(let s): Self.writeQuoted(s, to: &output, style: .json)
        case .bytes(let b): output += "\"" + Self.base64(b) + "\""
        case .timestamp(let t): output += "\"" + TimeFormat.format(t) + "\""
        case .duration(let d): output += "\"" + TimeFormat.format(d) + "\""
        case .type(let t): Self.writeQuoted(t.name, to: &output, style: .json)
        case .list(let elements):
            if elements.isEmpty {
                output += "[]"
                return
            }
            let inner = indent.map { $0 + "  " }
            output += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { output += "," }
                if let inner { output += "\n" + inner }
                element.writeJSON(to: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "]"
        case .map(let map):
            if map.isEmpty {
                output += "{}"
                return
            }
            let inner = indent.map { $0 + "  " }
            output += "{"
            for (i, (key, value)) in map.entries.enumerated() {
                if i > 0 { output += "," }
                if let inner { output += "\n" + inner }
                let name: String
                switch key {
                case .string(let s): name = s
                case .int(let n): name = String(n)
                case .uint(let n): name = String(n)
                case .bool(let b): name = b ? "true" : "false"
                }
                Self.writeQuoted(name, to: &output, style: .json)
                output += indent == nil ? ":" : ": "
                value.writeJSON(to: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "}"
        }
    }
}

// MARK: - Printing as CEL

extension Value: CustomStringConvertible {
    /// The value as CEL would write it, for printing results: `1`, `2u`, `1.5`, `"s"`,
    /// `b"\x00"`, `[1, 2]`, `{"a": 1}`, `timestamp("2009-02-13T23:31:30Z")`,
    /// `duration("1.5s")`, `int`. Non-finite doubles print as `double("NaN")`,
    /// `double("Infinity")` and `double("-Infinity")`.
    public var description: String {
        var output = ""
        writeCEL(to: &output)
        return output
    }

    private func writeCEL(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let b): output += b ? "true" : "false"
        case .int(let i): output += String(i)
        case .uint(let u): output += String(u) + "u"
        case .double(let d):
            if d.isNaN {
                output += "double(\"NaN\")"
            } else if d.isInfinite {
                output += d < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")"
            } else {
                output += Self.decimalText(d)
            }
        case .string(let s): Self.writeQuoted(s, to: &output, style: .cel)
        case .bytes(let bytes):
            output += "b\""
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): output += "\\\""
                case UInt8(ascii: "\\"): output += "\\\\"
                case 0x20...0x7E: output.unicodeScalars.append(Unicode.Scalar(byte))
                default: output += "\\x" + Self.hex(byte, digits: 2)
                }
            }
            output += "\""
        case .list(let elements):
            output += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { output += ", " }
                element.writeCEL(to: &output)
            }
            output += "]"
        case .map(let map):
            output += "{"
            for (i, (key, value)) in map.entries.enumerated() {
                if i > 0 { output += ", " }
                key.value.writeCEL(to: &output)
                output += ": "
                value.writeCEL(to: &output)
            }
            output += "}"
        case .timestamp(let t): output += "timestamp(\"" + TimeFormat.format(t) + "\")"
        case .duration(let d): output += "duration(\"" + TimeFormat.format(d) + "\")"
        case .type(let t): output += t.name
        }
    }
}

// MARK: - Text helpers

extension Value {
    fileprivate enum QuoteStyle { case json, cel }

    /// Shortest text that reads back as the same double, always with a `.` or an exponent so
    /// it does not read back as an integer.
    fileprivate static func decimalText(_ d: Double) -> String {
        let text = d.description
        if text.contains(".") || text.contains("e") { return text }
        return text + ".0"
    }

    fileprivate static func writeQuoted(_ s: String, to output: inout String, style: QuoteStyle) {
        // Most strings need no escape: append them whole rather than scalar by scalar. (0xE2
        // leads U+2028 and U+2029, which JSON text escapes; such strings take the slow path.)
        let plain =
            s.utf8.withContiguousStorageIfAvailable { bytes in
                // No early exit: a loop simple enough to vectorize.
                var special: UInt8 = 0
                for b in bytes {
                    special |= (b < 0x20 ? 1 : 0) | (b == 0x22 ? 1 : 0) | (b == 0x5C ? 1 : 0) | (b == 0x7F ? 1 : 0) | (b == 0xE2 ? 1 : 0)
                }
                return special == 0
            } ?? !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 }
        if plain {
            output += "\""
            output += s
            output += "\""
            return
        }
        output += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                output += "\\u" + hex(UInt8(scalar.value), digits: 4)
            case _ where style == .json && (scalar.value == 0x2028 || scalar.value == 0x2029):
                output += "\\u" + String(scalar.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    fileprivate static func hex(_ byte: UInt8, digits: Int) -> String {
        let text = String(byte, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    fileprivate static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".unicodeScalars)
        var output = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            output.append(i + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : "=")
            output.append(i + 2 < bytes.count ? alphabet[Int(group & 63)] : "=")
            i += 3
        }
        return String(output)
    }
}

// MARK: - Reading JSON

/// A recursive-descent reader over the UTF-8 bytes of a JSON text.
private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var offset = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func readDocument() throws(JSONError) -> Value {
        skipWhitespace()
        let value = try readValue()
        skipWhitespace()
        if offset < bytes.count { throw error("unexpected text after the JSON value") }
        return value
    }

    fileprivate mutating func readValue() throws(JSONError) -> Value {
        guard offset < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        default:
            throw error("unexpected character \(describe(at: offset)), expected a value")
        }
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        if depth > limits.depth {
            throw error("nesting deeper than \(limits.depth) levels", limit: .depth)
        }
    }

    private mutating func readObject() throws(JSONError) -> Value {
        try enter()
        offset += 1
        var map = CELMap()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            offset += 1
            depth -= 1
            return .map(map)
        }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else { throw error("expected a string key") }
            let keyOffset = offset
            let key = try readString()
            if map[key] != nil { throw error("duplicate key \"\(key)\"", at: keyOffset) }
            if map.count >= limits.items { throw error("an object with more than \(limits.items) members", at: keyOffset, limit: .items) }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after an object key") }
            offset += 1
            skipWhitespace()
            map[key] = try readValue()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                offset += 1
                continue
            }
            if peek(UInt8(ascii: "}")) {
                offset += 1
                depth -= 1
                return .map(map)
            }
            throw error(offset < bytes.count ? "expected ',' or '}' in an object" : "unterminated object")
        }
    }

    private mutating func readArray() throws(JSONError) -> Value {
        try enter()
        offset += 1
        var elements: [Value] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            offset += 1
            depth -= 1
            return .list(elements)
        }
        while true {
            skipWhitespace()
            if elements.count >= limits.items { throw error("an array with more than \(limits.items) elements", limit: .items) }
            elements.append(try readValue())
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                offset += 1
                continue
            }
            if peek(UInt8(ascii: "]")) {
                offset += 1
                depth -= 1
                return .list(elements)
            }
            throw error(offset < bytes.count ? "expected ',' or ']' in an array" : "unterminated array")
        }
    }

    private mutating func readString() throws(JSONError) -> String {
        let start = offset
        offset += 1
        // Fast path: no escapes.
        var scan = offset
        while scan < bytes.count, bytes[scan] != UInt8(ascii: "\""), bytes[scan] != UInt8(ascii: "\\"),
            bytes[scan] >= 0x20
        {
            scan += 1
        }
        if scan - offset > limits.stringBytes { throw tooLong(at: start) }
        if scan < bytes.count, bytes[scan] == UInt8(ascii: "\"") {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<scan]), as: UTF8.self)
            offset = scan + 1
            return text
        }
        var buffer: [UInt8] = Array(bytes[offset..<scan])
        offset = scan
        while true {
            guard offset < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                if buffer.count > limits.stringBytes { throw tooLong(at: start) }
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw error("unterminated string", at: start) }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try readUnicodeEscape()
                    UTF8.encode(scalar) { buffer.append($0) }
                default:
                    throw error("invalid escape '\\\(describeByte(escape))' in a string", at: offset - 2)
                }
            case 0..<0x20:
                throw error("control character in a string (escape it as \\u\(Value.hex(byte, digits: 4)))")
            default:
                buffer.append(byte)
                offset += 1
            }
        }
    }

    private func tooLong(at start: Int) -> JSONError {
        error("a string longer than \(limits.stringBytes) bytes", at: start, limit: .stringBytes)
    }

    /// Reads the hex digits after `\u`, joining a surrogate pair into one scalar.
    private mutating func readUnicodeEscape() throws(JSONError) -> Unicode.Scalar {
        let escapeStart = offset - 2
        let first = try readHex4()
        if (0xD800...0xDBFF).contains(first) {
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            else { throw error("unpaired surrogate in a \\u escape", at: escapeStart) }
            offset += 2
            let second = try readHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw error("unpaired surrogate in a \\u escape", at: escapeStart)
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Unicode.Scalar(value)!
        }
        guard let scalar = Unicode.Scalar(first) else {
            throw error("unpaired surrogate in a \\u escape", at: escapeStart)
        }
        return scalar
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count, let digit = hexValue(bytes[offset]) else {
                throw error("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    fileprivate mutating func readNumber() throws(JSONError) -> Value {
        let start = offset
        var isInteger = true
        let negative = peek(UInt8(ascii: "-"))
        if negative { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("expected a digit") }
        let digitsStart = offset
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) {
                throw error("leading zeros are not allowed in a number", at: start)
            }
        } else {
            skipDigits()
        }
        let integerEnd = offset
        var fractionEnd = offset
        if peek(UInt8(ascii: ".")) {
            isInteger = false
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("expected a digit after '.'") }
            skipDigits()
            fractionEnd = offset
        }
        if !(peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E"))),
            let exact = Self.exactNumber(
                bytes, digits: digitsStart..<integerEnd, fraction: integerEnd..<fractionEnd, negative: negative,
                integer: isInteger)
        {
            return exact
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            isInteger = false
            offset += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { offset += 1 }
            guard offset < bytes.count, isDigit(bytes[offset]) else {
                throw error("expected a digit in the exponent")
            }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger {
            if let int = Int64(text) { return .int(int) }
            if let uint = UInt64(text) { return .uint(uint) }
        }
        guard let double = Double(text), double.isFinite else {
            throw error("number \(text) is out of range", at: start)
        }
        return .double(double)
    }

    /// A number without an exponent read without text, when it is exactly what the text
    /// conversions below give: an integer that fits in `Int64`, or a decimal of at most 15
    /// significant digits and at most 22 after the point, whose digits as an integer and the
    /// power of ten dividing them are both exact doubles, so that one division rounds as the
    /// decimal itself does (Clinger's fast path). `nil` for anything else.
    @inline(__always)
    private static func exactNumber(
        _ bytes: UnsafeBufferPointer<UInt8>, digits: Range<Int>, fraction: Range<Int>, negative: Bool, integer: Bool
    ) -> Value? {
        var mantissa: UInt64 = 0
        if integer {
            // Up to 18 digits cannot overflow Int64.
            guard digits.count <= 18 else { return nil }
            for i in digits { mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 48) }
            let value = Int64(mantissa)
            return .int(negative ? -value : value)
        }
        // `fraction` starts at the point.
        let decimals = fraction.count - 1
        guard digits.count + decimals <= 15, decimals <= 22 else { return nil }
        for i in digits { mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 48) }
        for i in (fraction.lowerBound + 1)..<fraction.upperBound { mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 48) }
        let magnitude = Double(mantissa) / exactPowersOfTen[decimals]
        return .double(negative ? -magnitude : magnitude)
    }

    /// 10⁰ … 10²², each exact as a double.
    private static let exactPowersOfTen: [Double] = (0...22).map { n in
        var power = 1.0
        for _ in 0..<n { power *= 10 }
        return power
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    private mutating func expectWord(_ word: StaticString) throws(JSONError) {
        let start = offset
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard offset < bytes.count, bytes[offset] == byte else {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
            offset += 1
        }
        if offset < bytes.count, isIdentifierByte(bytes[offset]) {
            throw error("invalid literal, expected '\(word)'", at: start)
        }
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "_")
    }

    private func peek(_ byte: UInt8) -> Bool {
        offset < bytes.count && bytes[offset] == byte
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private func describe(at offset: Int) -> String {
        describeByte(bytes[offset])
    }

    private func describeByte(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E { return "'" + String(Unicode.Scalar(byte)) + "'" }
        return "0x" + Value.hex(byte, digits: 2)
    }

    /// An error at a byte offset (the current one by default), with its line and column.
    private func error(_ message: String, at position: Int? = nil, limit: JSONLimits.Bound? = nil) -> JSONError {
        let position = min(position ?? offset, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[0..<position] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONError(line: line, column: column, message: message, limit: limit)
    }
}
