import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line: `time` (RFC 3339, UTC, with
/// milliseconds), `level`, `label`, `message`, then the metadata as string fields (the engine
/// names a mutation's id `mutation` on every line about one). Secrets never reach the output: a
/// metadata key that names one (`authorization`, `key`, `token`, `secret`, `password`, `cookie`)
/// is written as `"[redacted]"`, and so is any value or message part that carries a bearer key.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler writing to standard output.
    public init(label: String) {
        self.init(label: label) { line in FileHandle.standardOutput.write(Data(line.utf8)) }
    }

    /// A handler giving each line (with its newline) to `write`.
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let secretKeys = ["authorization", "key", "token", "secret", "password", "cookie"]

    /// Whether a metadata key names a secret (`api_key`, `Authorization`, `session-token`, …).
    static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return secretKeys.contains { lower == $0 || lower.hasSuffix("_" + $0) || lower.hasSuffix("-" + $0) || lower.hasPrefix($0 + "_") }
    }

    /// `text` with every bearer credential replaced, and every URL's password and query values
    /// (a webhook URL may carry `user:password@` or `?access_token=…`).
    public static func scrub(_ text: String) -> String {
        var text = text
        if text.range(of: "bearer ", options: .caseInsensitive) != nil {
            text = text.replacingOccurrences(of: #"(?i)bearer\s+\S+"#, with: "Bearer [redacted]", options: .regularExpression)
        }
        if text.contains("://") {
            // scheme://user:password@host → scheme://user:[redacted]@host
            text = text.replacingOccurrences(
                of: #"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^@\s/]*@"#, with: "$1:[redacted]@", options: .regularExpression)
            // …?name=value&other=value → …?name=[redacted]&other=[redacted]
            text = redactQueryValues(text)
        }
        return text
    }

    /// The values of every URL query in `text` replaced (names kept: they say what was there).
    private static func redactQueryValues(_ text: String) -> String {
        // A value ends at a blank, `#`, a quote, or a closing bracket around the URL.
        guard let regex = try? NSRegularExpression(pattern: #"://[^\s?#"']*\?([^\s#"'<>)\]}]*)"#) else { return text }
        let whole = text as NSString
        var result = ""
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: whole.length)) {
            let query = match.range(at: 1)
            result += whole.substring(with: NSRange(location: last, length: query.location - last))
            let redacted = whole.substring(with: query).split(separator: "&", omittingEmptySubsequences: false).map { pair in
                guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
                return pair[..<equals] + "=[redacted]"
            }
            result += redacted.joined(separator: "&")
            last = query.location + query.length
        }
        result += whole.substring(from: last)
        return result
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("time", Self.timestamp(Date())), ("level", event.level.rawValue), ("label", label),
            ("message", Self.scrub("\(event.message)")),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            fields.append((key, Self.isSecret(key) ? "[redacted]" : Self.scrub(Self.text(merged[key]!))))
        }
        var line = "{"
        for (i, (key, value)) in fields.enumerated() {
            if i > 0 { line += "," }
            line += Self.quoted(key) + ":" + Self.quoted(value)
        }
        write(line + "}\n")
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let items): "[" + items.map(text).joined(separator: ", ") + "]"
        case .dictionary(let map): "{" + map.keys.sorted().map { "\($0): \(text(map[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension JSONLogHandler {
    /// The log formats `airlock serve --log-format` offers.
    public enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    /// Points swift-log at standard output in `format` (call once, before any logger is made).
    /// Both formats keep secrets out (``scrub(_:)``, ``isSecret(_:)``).
    public static func bootstrap(_ format: Format) {
        switch format {
        case .text: LoggingSystem.bootstrap { ScrubbingLogHandler(StreamLogHandler.standardOutput(label: $0)) }
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }

    /// One line of `airlock serve`'s own output (where it listens, its policy, its state) as a
    /// JSON log line: with `--log-format json` every line of standard output is one JSON object.
    public static func line(_ message: String, label: String = "airlock") -> String {
        // Not scrubbed: the server's own text, holding no secret (the store's URL is printed
        // without its password), and its demo hint names `Bearer $VARIABLE`, which must survive.
        "{" + [("time", timestamp(Date())), ("level", "info"), ("label", label), ("message", message)]
            .map { quoted($0.0) + ":" + quoted($0.1) }.joined(separator: ",") + "}"
    }
}

/// The text format's handler with secrets kept out, as the JSON handler keeps them: each message
/// and metadata value scrubbed, and a metadata key that names a secret written as `[redacted]`.
public struct ScrubbingLogHandler: LogHandler {
    private var inner: any LogHandler

    public init(_ inner: any LogHandler) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: JSONLogHandler.scrub("\(event.message)"))
        if let metadata = event.metadata {
            event.metadata = metadata.reduce(into: [:]) { clean, entry in
                clean[entry.key] =
                    JSONLogHandler.isSecret(entry.key)
                    ? "[redacted]" : .string(JSONLogHandler.scrub(JSONLogHandler.text(entry.value)))
            }
        }
        inner.log(event: event)
    }
}
