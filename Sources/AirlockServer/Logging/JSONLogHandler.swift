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

    /// `text` with every bearer credential replaced.
    static func scrub(_ text: String) -> String {
        guard text.range(of: "bearer ", options: .caseInsensitive) != nil else { return text }
        return text.replacingOccurrences(of: #"(?i)bearer\s+\S+"#, with: "Bearer [redacted]", options: .regularExpression)
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
    public static func bootstrap(_ format: Format) {
        switch format {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardOutput)
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}
