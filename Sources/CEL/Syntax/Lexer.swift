/// One lexical element of CEL source text, with the range of scalars it came from.
struct Token: Equatable {
    /// What the token is; literals carry their decoded value.
    enum Kind: Equatable {
        case identifier(String)
        /// A backtick-quoted field name, such as `` `content-type` `` (its text without the backticks).
        case quotedIdentifier(String)
        /// The magnitude of an int literal; whether it fits in an `Int64` depends on a preceding `-`.
        case int(UInt64)
        case uint(UInt64)
        case double(Double)
        case string(String)
        case bytes([UInt8])
        case `true`, `false`, null, `in`
        case punctuation(Punctuation)
        case end
    }

    var kind: Kind
    /// Offset of the first scalar, as in ``Source``.
    var start: Int
    /// Offset just past the last scalar.
    var end: Int
}

/// Operators and delimiters.
enum Punctuation: String, Equatable {
    case leftParen = "("
    case rightParen = ")"
    case leftBracket = "["
    case rightBracket = "]"
    case leftBrace = "{"
    case rightBrace = "}"
    case dot = "."
    case comma = ","
    case colon = ":"
    case question = "?"
    case plus = "+"
    case minus = "-"
    case star = "*"
    case slash = "/"
    case percent = "%"
    case bang = "!"
    case less = "<"
    case lessEquals = "<="
    case greater = ">"
    case greaterEquals = ">="
    case equals = "=="
    case notEquals = "!="
    case and = "&&"
    case or = "||"
}

/// A syntax error: where it is, in scalars, and what is wrong.
struct SyntaxError: Error {
    var offset: Int
    var message: String
}

/// Splits CEL source text into tokens, one at a time, following the lexis of the language
/// definition. Literal values are decoded here, escapes included.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    /// The next token, or `.end` once the text is exhausted.
    mutating func next() throws(SyntaxError) -> Token {
        skipTrivia()
        let start = position
        guard let scalar = peek() else { return Token(kind: .end, start: start, end: start) }
        if scalar.isIdentifierHead { return try identifierOrPrefixedString() }
        if scalar.isDigit || (scalar == "." && peek(1)?.isDigit == true) { return try number() }
        switch scalar {
        case "\"", "'": return try string(start: start, raw: false, bytes: false)
        case "`": return try quotedIdentifier()
        default: return try punctuation()
        }
    }

    // MARK: Trivia

    private mutating func skipTrivia() {
        while let scalar = peek() {
            switch scalar {
            case " ", "\t", "\n", "\r", "\u{0C}":
                position += 1
            case "/" where peek(1) == "/":
                while let next = peek(), next != "\n" { position += 1 }
            default:
                return
            }
        }
    }

    // MARK: Identifiers and keywords

    private mutating func identifierOrPrefixedString() throws(SyntaxError) -> Token {
        let start = position
        while let scalar = peek(), scalar.isIdentifierBody { position += 1 }
        let text = self.text(from: start)
        if let quote = peek(), quote == "\"" || quote == "'" {
            switch text {
            case "r", "R": return try string(start: start, raw: true, bytes: false)
            case "b", "B": return try string(start: start, raw: false, bytes: true)
            case "br", "bR", "Br", "BR": return try string(start: start, raw: true, bytes: true)
            default: break
            }
        }
        let kind: Token.Kind
        switch text {
        case "true": kind = .true
        case "false": kind = .false
        case "null": kind = .null
        case "in": kind = .in
        default: kind = .identifier(text)
        }
        return Token(kind: kind, start: start, end: position)
    }

    private mutating func quotedIdentifier() throws(SyntaxError) -> Token {
        let start = position
        position += 1
        var name = String.UnicodeScalarView()
        while true {
            guard let scalar = peek(), scalar != "\n", scalar != "\r" else {
                throw SyntaxError(offset: start, message: "unterminated quoted identifier")
            }
            position += 1
            if scalar == "`" { break }
            guard scalar.isQuotedIdentifierBody else {
                throw SyntaxError(
                    offset: position - 1, message: "invalid character '\(scalar)' in quoted identifier")
            }
            name.append(scalar)
        }
        guard !name.isEmpty else { throw SyntaxError(offset: start, message: "empty quoted identifier") }
        return Token(kind: .quotedIdentifier(String(name)), start: start, end: position)
    }

    // MARK: Numbers

    private mutating func number() throws(SyntaxError) -> Token {
        let start = position
        if peek() == "0", let x = peek(1), x == "x" || x == "X" {
            position += 2
            let digitsStart = position
            while let scalar = peek(), scalar.hexValue != nil { position += 1 }
            guard position > digitsStart else {
                throw SyntaxError(offset: start, message: "expected hexadecimal digits after '0x'")
            }
            var value: UInt64 = 0
            for scalar in scalars[digitsStart..<position] {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 16)
                guard !overflow else { throw outOfRange(start) }
                value = shifted | UInt64(scalar.hexValue!)
            }
            return integer(value, start: start)
        }
        var isDouble = false
        skipDigits()
        if peek() == ".", peek(1)?.isDigit == true {
            isDouble = true
            position += 1
            skipDigits()
        }
        if let e = peek(), e == "e" || e == "E" {
            var lookahead = 1
            if let sign = peek(1), sign == "+" || sign == "-" { lookahead = 2 }
            if peek(lookahead)?.isDigit == true {
                isDouble = true
                position += lookahead
                skipDigits()
            }
        }
        let text = self.text(from: start)
        if isDouble {
            guard let value = Double(text), value.isFinite else {
                throw SyntaxError(offset: start, message: "double literal '\(text)' is out of range")
            }
            return Token(kind: .double(value), start: start, end: position)
        }
        guard let value = UInt64(text) else { throw outOfRange(start) }
        return integer(value, start: start)
    }

    /// An int or, with a `u`/`U` suffix, a uint token.
    private mutating func integer(_ value: UInt64, start: Int) -> Token {
        if let suffix = peek(), suffix == "u" || suffix == "U" {
            position += 1
            return Token(kind: .uint(value), start: start, end: position)
        }
        return Token(kind: .int(value), start: start, end: position)
    }

    private mutating func skipDigits() {
        while let scalar = peek(), scalar.isDigit { position += 1 }
    }

    private func outOfRange(_ start: Int) -> SyntaxError {
        SyntaxError(offset: start, message: "integer literal is out of range")
    }

    // MARK: Strings and bytes

    /// A string or bytes literal; `start` is where its prefix (if any) begins, `position` is at
    /// the opening quote.
    private mutating func string(start: Int, raw: Bool, bytes: Bool) throws(SyntaxError) -> Token {
        let quote = peek()!
        let triple = peek(1) == quote && peek(2) == quote
        position += triple ? 3 : 1
        var text = String.UnicodeScalarView()
        var octets: [UInt8] = []
        func append(_ scalar: Unicode.Scalar) {
            if bytes { octets.append(contentsOf: UTF8.encode(scalar)!) } else { text.append(scalar) }
        }
        while true {
            guard let scalar = peek() else {
                throw SyntaxError(offset: start, message: "unterminated string literal")
            }
            if triple {
                if scalar == quote, peek(1) == quote, peek(2) == quote {
                    position += 3
                    break
                }
            } else if scalar == quote {
                position += 1
                break
            } else if scalar == "\n" || scalar == "\r" {
                throw SyntaxError(
                    offset: start, message: "unterminated string literal (use triple quotes for several lines)")
            }
            if scalar == "\\" && !raw {
                switch try escape(bytes: bytes) {
                case .scalar(let value): append(value)
                case .octet(let value): octets.append(value)
                }
            } else {
                append(scalar)
                position += 1
            }
        }
        let kind: Token.Kind = bytes ? .bytes(octets) : .string(String(text))
        return Token(kind: kind, start: start, end: position)
    }

    private enum Escaped {
        case scalar(Unicode.Scalar)
        case octet(UInt8)
    }

    /// Decodes the escape sequence at `position` (a backslash) and moves past it.
    private mutating func escape(bytes: Bool) throws(SyntaxError) -> Escaped {
        let start = position
        guard let code = peek(1) else { throw SyntaxError(offset: start, message: "unterminated string literal") }
        position += 2
        let simple: Unicode.Scalar? =
            switch code {
            case "a": "\u{07}"
            case "b": "\u{08}"
            case "f": "\u{0C}"
            case "n": "\n"
            case "r": "\r"
            case "t": "\t"
            case "v": "\u{0B}"
            case "\\", "?", "\"", "'", "`": code
            default: nil
            }
        if let simple { return .scalar(simple) }
        switch code {
        case "x", "X":
            let value = try hexDigits(2, escapeStart: start)
            return bytes ? .octet(UInt8(value)) : .scalar(Unicode.Scalar(UInt8(value)))
        case "u", "U":
            if code == "U" && bytes {
                throw SyntaxError(offset: start, message: "'\\U' escapes are not allowed in bytes literals")
            }
            // Any code point is accepted, assigned or not, except surrogates and those past U+10FFFF.
            let value = try hexDigits(code == "u" ? 4 : 8, escapeStart: start)
            guard let scalar = Unicode.Scalar(value) else {
                let hex = String(value, radix: 16, uppercase: true)
                let reason =
                    (0xD800...0xDFFF).contains(value)
                    ? "U+\(hex) is a surrogate, half of a UTF-16 pair, not a character"
                    : "U+\(hex) is beyond U+10FFFF, the last code point"
                throw SyntaxError(offset: start, message: "invalid Unicode code point in escape sequence: \(reason)")
            }
            return .scalar(scalar)
        case "0"..."3":
            var value = code.value - 48
            for _ in 0..<2 {
                guard let digit = peek(), ("0"..."7").contains(digit) else {
                    throw SyntaxError(offset: start, message: "invalid octal escape sequence (expected three digits)")
                }
                value = value * 8 + digit.value - 48
                position += 1
            }
            return bytes ? .octet(UInt8(value)) : .scalar(Unicode.Scalar(UInt8(value)))
        default:
            throw SyntaxError(offset: start, message: "invalid escape sequence '\\\(code.escaped(asASCII: true))'")
        }
    }

    private mutating func hexDigits(_ count: Int, escapeStart: Int) throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let digit = peek()?.hexValue else {
                throw SyntaxError(
                    offset: escapeStart, message: "invalid escape sequence (expected \(count) hexadecimal digits)")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    // MARK: Punctuation

    private mutating func punctuation() throws(SyntaxError) -> Token {
        let start = position
        let first = peek()!
        let pair = peek(1).flatMap { Punctuation(rawValue: String(first) + String($0)) }
        let kind: Punctuation
        if let pair {
            kind = pair
            position += 2
        } else if let single = Punctuation(rawValue: String(first)) {
            kind = single
            position += 1
        } else {
            let hint =
                switch first {
                case "=": " (did you mean '=='?)"
                case "&": " (did you mean '&&'?)"
                case "|": " (did you mean '||'?)"
                default: ""
                }
            throw SyntaxError(offset: start, message: "unexpected character '\(first.escaped(asASCII: false))'\(hint)")
        }
        return Token(kind: .punctuation(kind), start: start, end: position)
    }

    // MARK: Scalars

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        let index = position + ahead
        return index < scalars.count ? scalars[index] : nil
    }

    private func text(from start: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<position])
        return String(view)
    }
}

extension Unicode.Scalar {
    fileprivate var isDigit: Bool { ("0"..."9").contains(self) }

    fileprivate var isIdentifierHead: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || self == "_"
    }

    fileprivate var isIdentifierBody: Bool { isIdentifierHead || isDigit }

    /// Characters a backtick-quoted field name may hold.
    fileprivate var isQuotedIdentifierBody: Bool {
        isIdentifierBody || self == "." || self == "-" || self == "/" || self == " "
    }

    fileprivate var hexValue: UInt32? {
        switch self {
        case "0"..."9": value - 48
        case "a"..."f": value - 87
        case "A"..."F": value - 55
        default: nil
        }
    }
}
