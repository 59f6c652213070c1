/// A problem in the gateway's configuration: where it is and what is wrong.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file, when the problem is in one.
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = file ?? ""
        if let line { place += (place.isEmpty ? "" : ":") + "\(line)" }
        if let column { place += ":\(column)" }
        return place.isEmpty ? message : "\(place): \(message)"
    }
}
