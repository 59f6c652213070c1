/// A line of a simulation stream that cannot be used: which line, which field, and why. The whole
/// stream is refused with it (a simulation of part of a stream would report figures for traffic
/// that is not what was recorded).
public struct StreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line number in the stream.
    public var line: Int
    /// The offending field (`time`, `actor.kind`, `label`); empty when the line as a whole is bad
    /// (not JSON, not an object).
    public var field: String
    /// What is wrong, for a person.
    public var message: String

    public init(line: Int, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    /// `line 12: time: is before the previous line's time …`.
    public var description: String {
        field.isEmpty ? "line \(line): \(message)" : "line \(line): \(field): \(message)"
    }
}
