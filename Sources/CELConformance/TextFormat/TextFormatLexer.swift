/// Splits Protocol Buffers text format into tokens: identifiers, numbers, string literals (with
/// their escapes decoded to bytes) and punctuation. `#` comments and whitespace are skipped.
struct TextFormatLexer {
    enum Kind: Equatable {
        case identifier(String)
        /// The number's text as written, without a sign (`12`, `0x1F`, `1.5e3`, `2.0f`).
        case number(String)
        /// The bytes of a quoted literal, escapes decoded.
        case string([UInt8])
        case symbol(UInt8)
        case end
    }

    struct Token {
        var kind: Kind
        var location: TextLocation
    }

    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func next() throws(TextFormatError) -> Token {
        skipTrivia()
        let location = TextLocation(line: line, column: column)
        guard offset < bytes.count else { return Token(kind: .end, location: location) }
        let byte = bytes[offset]
        if isIdentifierStart(byte) {
            let start = offset
            while offset < bytes.count, isIdentifierStart(bytes[offset]) || isDigit(bytes[offset]) { advance() }
            return Token(kind: .identifier(text(start..<offset)), location: location)
        }
        if isDigit(byte) || (byte == UInt8(ascii: ".") && offset + 1 < bytes.count && isDigit(bytes[offset + 1])) {
            return Token(kind: .number(scanNumber()), location: location)
        }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            return Token(kind: .string(try scanString(location: location)), location: location)
        }
        advance()
        return Token(kind: .symbol(byte), location: location)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    private mutating func advance() {
        if bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if bytes[offset] & 0xC0 != 0x80 {
            column += 1
        }
        offset += 1
    }

    private mutating func skipTrivia() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                advance()
            case UInt8(ascii: "#"):
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { advance() }
            default:
                return
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
    }

    /// Takes digits, letters (hex digits, exponent, suffix), `.` and an exponent's sign; the
    /// text is validated when the field's type is known.
    private mutating func scanNumber() -> String {
        let start = offset
        let isHex =
            bytes[offset] == UInt8(ascii: "0") && offset + 1 < bytes.count
            && bytes[offset + 1] | 0x20 == UInt8(ascii: "x")
        while offset < bytes.count {
            let byte = bytes[offset]
            if isDigit(byte) || isIdentifierStart(byte) || byte == UInt8(ascii: ".") {
                advance()
            } else if !isHex, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-"),
                bytes[offset - 1] | 0x20 == UInt8(ascii: "e")
            {
                advance()
            } else {
                break
            }
        }
        return text(start..<offset)
    }

    private mutating func scanString(location: TextLocation) throws(TextFormatError) -> [UInt8] {
        let quote = bytes[offset]
        advance()
        var result: [UInt8] = []
        while true {
            guard offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") else {
                throw TextFormatError(location: location, message: "unterminated string literal")
            }
            let byte = bytes[offset]
            if byte == quote {
                advance()
                return result
            }
            if byte != UInt8(ascii: "\\") {
                result.append(byte)
                advance()
                continue
            }
            let escapeLocation = TextLocation(line: line, column: column)
            advance()
            guard offset < bytes.count else {
                throw TextFormatError(location: location, message: "unterminated string literal")
            }
            let escape = bytes[offset]
            advance()
            switch escape {
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "a"): result.append(0x07)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "v"): result.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "?"):
                result.append(escape)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = UInt32(escape - UInt8(ascii: "0"))
                var count = 1
                while count < 3, offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"),
                    bytes[offset] <= UInt8(ascii: "7")
                {
                    value = value * 8 + UInt32(bytes[offset] - UInt8(ascii: "0"))
                    advance()
                    count += 1
                }
                guard value <= 0xFF else {
                    throw TextFormatError(location: escapeLocation, message: "octal escape out of range")
                }
                result.append(UInt8(value))
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                guard let value = scanHex(maxDigits: 2), value <= 0xFF else {
                    throw TextFormatError(location: escapeLocation, message: "expected hex digits after \\x")
                }
                result.append(UInt8(value))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = escape == UInt8(ascii: "u") ? 4 : 8
                guard let value = scanHex(maxDigits: digits, exactly: true), let scalar = Unicode.Scalar(value) else {
                    throw TextFormatError(
                        location: escapeLocation, message: "expected \(digits) hex digits of a Unicode scalar")
                }
                UTF8.encode(scalar) { result.append($0) }
            default:
                throw TextFormatError(
                    location: escapeLocation,
                    message: "unknown escape '\\\(String(decoding: [escape], as: UTF8.self))' in a string")
            }
        }
    }

    private mutating func scanHex(maxDigits: Int, exactly: Bool = false) -> UInt32? {
        var value: UInt32 = 0
        var count = 0
        while count < maxDigits, offset < bytes.count, let digit = hexValue(bytes[offset]) {
            value = value << 4 | UInt32(digit)
            advance()
            count += 1
        }
        if count == 0 || (exactly && count != maxDigits) { return nil }
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
}
