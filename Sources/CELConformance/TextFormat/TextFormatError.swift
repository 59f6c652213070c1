/// A place in a text-format file.
public struct TextLocation: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column, in Unicode scalars.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A text-format file that could not be read: malformed syntax, or a value of the wrong kind
/// for its field. Its description is `file:line:column: message`.
public struct TextFormatError: Error, Sendable, CustomStringConvertible {
    /// The file, when the text came from one.
    public var file: String?
    /// Where the problem is.
    public var location: TextLocation
    /// What is wrong, for a person.
    public var message: String

    public init(file: String? = nil, location: TextLocation, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String { "\(file ?? "<input>"):\(location.line):\(location.column): \(message)" }
}
