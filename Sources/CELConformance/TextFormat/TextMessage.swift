/// A message read from Protocol Buffers text format, before any schema is applied: its fields
/// in the order written. A repeated field appears once per element (the list form
/// `name: [a, b]` is expanded).
public struct TextMessage: Sendable {
    /// Where the message starts (its `{`, or the start of the file).
    public var location: TextLocation
    /// The fields, in order.
    public var fields: [TextField]

    public init(location: TextLocation, fields: [TextField]) {
        self.location = location
        self.fields = fields
    }

    /// Reads a whole text-format file.
    public init(textFormat text: String) throws(TextFormatError) {
        var parser = TextFormatParser(Array(text.utf8))
        self = try parser.parseFile()
    }
}

/// One `name: value` or `name { … }` of a text-format message.
public struct TextField: Sendable {
    /// The field's name; `[type.googleapis.com/full.Name]` for an expanded `Any` and
    /// `[package.extension]` for an extension, brackets included.
    public var name: String
    /// Where the name is.
    public var location: TextLocation
    public var value: TextValue

    public init(name: String, location: TextLocation, value: TextValue) {
        self.name = name
        self.location = location
        self.value = value
    }
}

/// The value of a text-format field.
public enum TextValue: Sendable {
    case scalar(TextScalar)
    case message(TextMessage)
}

/// A scalar as written: a number, an identifier (an enum name, `true`, `inf`, …) or string bytes,
/// possibly negated. It takes a type when read through one of its accessors.
public struct TextScalar: Sendable {
    /// What was written.
    public enum Kind: Sendable, Equatable {
        /// A number's text without its sign (`12`, `0x1F`, `1.5e3`).
        case number(String)
        case identifier(String)
        case string([UInt8])
    }

    public var kind: Kind
    /// Whether a `-` preceded it.
    public var isNegative: Bool
    /// Where it is.
    public var location: TextLocation

    public init(kind: Kind, isNegative: Bool = false, location: TextLocation) {
        self.kind = kind
        self.isNegative = isNegative
        self.location = location
    }

    /// The scalar as written, for messages.
    public var text: String {
        let sign = isNegative ? "-" : ""
        switch kind {
        case .number(let n): return sign + n
        case .identifier(let i): return sign + i
        case .string(let bytes): return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
    }

    private func mismatch(_ expected: String) -> TextFormatError {
        TextFormatError(location: location, message: "expected \(expected), found \(text)")
    }

    /// The magnitude of an integer literal: decimal, `0x` hex or `0`-prefixed octal.
    private func magnitude() -> UInt64? {
        guard case .number(let text) = kind else { return nil }
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        if lower.count > 1, lower.hasPrefix("0") { return UInt64(lower.dropFirst(), radix: 8) }
        return UInt64(lower)
    }

    /// The scalar as a 64-bit signed integer.
    public func int64() throws(TextFormatError) -> Int64 {
        guard let magnitude = magnitude() else { throw mismatch("an integer") }
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw mismatch("an integer in the int64 range") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw mismatch("an integer in the int64 range") }
        return Int64(magnitude)
    }

    /// The scalar as a 64-bit unsigned integer.
    public func uint64() throws(TextFormatError) -> UInt64 {
        guard !isNegative, let magnitude = magnitude() else { throw mismatch("an unsigned integer") }
        return magnitude
    }

    /// The scalar as a double: any number, or `inf`, `infinity`, `nan` in any case.
    public func double() throws(TextFormatError) -> Double {
        let magnitude: Double
        switch kind {
        case .identifier(let name):
            switch name.lowercased() {
            case "inf", "infinity": magnitude = .infinity
            case "nan": magnitude = .nan
            default: throw mismatch("a number")
            }
        case .number(var text):
            if let integer = self.magnitude(), !text.contains(".") {
                magnitude = Double(integer)
            } else {
                if text.hasSuffix("f") || text.hasSuffix("F") { text.removeLast() }
                if text.hasSuffix(".") { text += "0" }
                if text.hasPrefix(".") { text = "0" + text }
                guard let value = Double(text) else { throw mismatch("a number") }
                magnitude = value
            }
        case .string:
            throw mismatch("a number")
        }
        return isNegative ? -magnitude : magnitude
    }

    /// The scalar as a bool: `true`, `false`, `True`, `False`, `t`, `f`, `1` or `0`.
    public func bool() throws(TextFormatError) -> Bool {
        guard !isNegative else { throw mismatch("true or false") }
        switch kind {
        case .identifier("true"), .identifier("True"), .identifier("t"), .number("1"): return true
        case .identifier("false"), .identifier("False"), .identifier("f"), .number("0"): return false
        default: throw mismatch("true or false")
        }
    }

    /// The bytes of a string literal.
    public func bytes() throws(TextFormatError) -> [UInt8] {
        guard !isNegative, case .string(let bytes) = kind else { throw mismatch("a string") }
        return bytes
    }

    /// A string literal's bytes as UTF-8 text.
    public func string() throws(TextFormatError) -> String {
        let bytes = try bytes()
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else {
            throw TextFormatError(location: location, message: "string is not valid UTF-8")
        }
        return text
    }

    /// An enum value: its name, or its number.
    public func enumValue() throws(TextFormatError) -> EnumValue {
        switch kind {
        case .identifier(let name) where !isNegative: return .name(name)
        case .number: return .number(try int64())
        default: throw mismatch("an enum value")
        }
    }

    /// An enum value as written.
    public enum EnumValue: Sendable, Equatable {
        case name(String)
        case number(Int64)
    }
}
