/// Reads Protocol Buffers text format into a ``TextMessage`` tree, without a schema.
///
/// Accepts `name: value`, `name { … }`, `name: { … }`, `name < … >`, the list form
/// `name: [a, b]`, `[extension.or/any.Name] { … }` field names, `,` or `;` after a field,
/// negative numbers, and adjacent string literals, which are joined.
struct TextFormatParser {
    /// Deeper nesting is an error rather than a risk to the stack.
    static let maximumDepth = 100

    private var lexer: TextFormatLexer
    private var token: TextFormatLexer.Token
    private var depth = 0

    init(_ bytes: [UInt8]) {
        lexer = TextFormatLexer(bytes)
        token = TextFormatLexer.Token(kind: .end, location: TextLocation(line: 1, column: 1))
    }

    mutating func parseFile() throws(TextFormatError) -> TextMessage {
        try advance()
        let start = TextLocation(line: 1, column: 1)
        let fields = try parseFields(closing: nil)
        return TextMessage(location: start, fields: fields)
    }

    private mutating func advance() throws(TextFormatError) {
        token = try lexer.next()
    }

    private func error(_ message: String) -> TextFormatError {
        TextFormatError(location: token.location, message: message)
    }

    private var tokenText: String {
        switch token.kind {
        case .identifier(let name): "'\(name)'"
        case .number(let text): "'\(text)'"
        case .string: "a string"
        case .symbol(let byte): "'\(String(decoding: [byte], as: UTF8.self))'"
        case .end: "the end of the file"
        }
    }

    private mutating func skip(_ symbol: Character) throws(TextFormatError) -> Bool {
        guard token.kind == .symbol(symbol.asciiValue!) else { return false }
        try advance()
        return true
    }

    /// Fields up to `closing` (`}` or `>`), or to the end of the file when `nil`.
    private mutating func parseFields(closing: UInt8?) throws(TextFormatError) -> [TextField] {
        var fields: [TextField] = []
        while true {
            if let closing, token.kind == .symbol(closing) {
                try advance()
                return fields
            }
            if token.kind == .end {
                if closing == nil { return fields }
                throw error("unexpected end of file, expected '\(String(decoding: [closing!], as: UTF8.self))'")
            }
            try parseField(into: &fields)
            if try !skip(",") { _ = try skip(";") }
        }
    }

    private mutating func parseField(into fields: inout [TextField]) throws(TextFormatError) {
        let location = token.location
        let name: String
        switch token.kind {
        case .identifier(let identifier):
            name = identifier
            try advance()
        case .symbol(UInt8(ascii: "[")):
            name = try parseBracketedName()
        default:
            throw error("expected a field name, found \(tokenText)")
        }
        let hasColon = try skip(":")
        if try skip("[") {
            // The list form of a repeated field.
            if try skip("]") { return }
            repeat {
                let value = try parseValue(requireColon: false, hasColon: true)
                fields.append(TextField(name: name, location: location, value: value))
            } while try skip(",")
            guard try skip("]") else { throw error("expected ',' or ']' in a list, found \(tokenText)") }
            return
        }
        let value = try parseValue(requireColon: true, hasColon: hasColon)
        fields.append(TextField(name: name, location: location, value: value))
    }

    /// `[type.googleapis.com/package.Message]` or `[package.extension]`, brackets kept.
    private mutating func parseBracketedName() throws(TextFormatError) -> String {
        try advance()
        var name = "["
        while true {
            switch token.kind {
            case .identifier(let part): name += part
            case .symbol(UInt8(ascii: ".")): name += "."
            case .symbol(UInt8(ascii: "/")): name += "/"
            case .symbol(UInt8(ascii: "]")):
                try advance()
                return name + "]"
            default:
                throw error("expected a name or ']' in a bracketed field name, found \(tokenText)")
            }
            try advance()
        }
    }

    private mutating func parseValue(requireColon: Bool, hasColon: Bool) throws(TextFormatError) -> TextValue {
        let location = token.location
        for (open, close) in [(UInt8(ascii: "{"), UInt8(ascii: "}")), (UInt8(ascii: "<"), UInt8(ascii: ">"))]
        where token.kind == .symbol(open) {
            depth += 1
            guard depth <= Self.maximumDepth else { throw error("messages nested deeper than \(Self.maximumDepth)") }
            try advance()
            let fields = try parseFields(closing: close)
            depth -= 1
            return .message(TextMessage(location: location, fields: fields))
        }
        if requireColon && !hasColon { throw error("expected ':' or '{' after the field name, found \(tokenText)") }
        return .scalar(try parseScalar())
    }

    private mutating func parseScalar() throws(TextFormatError) -> TextScalar {
        let location = token.location
        let isNegative = try skip("-")
        switch token.kind {
        case .number(let text):
            try advance()
            return TextScalar(kind: .number(text), isNegative: isNegative, location: location)
        case .identifier(let name):
            try advance()
            return TextScalar(kind: .identifier(name), isNegative: isNegative, location: location)
        case .string(var bytes) where !isNegative:
            try advance()
            while case .string(let more) = token.kind {
                bytes += more
                try advance()
            }
            return TextScalar(kind: .string(bytes), location: location)
        default:
            throw error("expected a value, found \(tokenText)")
        }
    }
}
