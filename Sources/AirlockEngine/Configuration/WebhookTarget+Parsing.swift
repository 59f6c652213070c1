import AirlockCore
import Foundation
import Yams

extension WebhookTarget {
    /// Parses one target of `notify:` (or a principal's `notify:`): `{url, secret_env, events?,
    /// max_attempts?, max_age?, timeout?, concurrency?}`. `what` names it in messages.
    static func parse(_ node: Node, what: String, reader: ConfigReader, environment: [String: String])
        throws(ConfigurationError) -> WebhookTarget
    {
        let map = try reader.mapping(
            node, allowed: ["url", "events", "secret_env", "max_attempts", "max_age", "timeout", "concurrency"], what: what)
        guard let urlNode = map["url"] else { throw reader.error(node, "\(what) needs a url: where its events are POSTed") }
        let url = try reader.string(urlNode, what: "\(what).url")
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw reader.error(urlNode, "\(what).url must be an http or https URL (got '\(url)')")
        }
        var events: Set<NotificationKind>?
        if let node = map["events"] {
            var kinds: Set<NotificationKind> = []
            for item in try reader.list(node, what: "\(what).events") {
                let name = try reader.string(item, what: "an event kind")
                guard let kind = NotificationKind(rawValue: name) else {
                    let known = NotificationKind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw reader.error(item, "\(what).events: unknown event kind '\(name)' (kinds: \(known))")
                }
                kinds.insert(kind)
            }
            guard !kinds.isEmpty else {
                throw reader.error(node, "\(what).events is empty: leave it out for every kind, or name some")
            }
            events = kinds
        }
        guard let secretNode = map["secret_env"] else {
            throw reader.error(node, "\(what) needs secret_env: the environment variable holding its HMAC secret")
        }
        let variable = try reader.string(secretNode, what: "\(what).secret_env")
        guard let secret = environment[variable], !secret.isEmpty else {
            throw reader.error(secretNode, "environment variable \(variable) (secret_env of \(what)) is not set")
        }
        var target = WebhookTarget(url: url, events: events, secret: Array(secret.utf8), secretEnv: variable)
        if let node = map["max_attempts"] {
            guard let n = Int(try reader.string(node, what: "\(what).max_attempts")), (1...100).contains(n) else {
                throw reader.error(node, "\(what).max_attempts must be a whole number from 1 to 100")
            }
            target.maxAttempts = n
        }
        if let node = map["max_age"] {
            target.maxAge = try seconds(node, what: "\(what).max_age", upTo: 30 * 86_400, reader: reader)
        }
        if let node = map["timeout"] {
            target.timeout = try seconds(node, what: "\(what).timeout", upTo: 300, reader: reader)
        }
        if let node = map["concurrency"] {
            guard let n = Int(try reader.string(node, what: "\(what).concurrency")), (1...64).contains(n) else {
                throw reader.error(node, "\(what).concurrency must be a whole number from 1 to 64")
            }
            target.concurrency = n
        }
        return target
    }

    /// `500ms`, `10s`, `5m`, `2h`, `1d`, or a number of seconds; positive, at most `limit` seconds.
    private static func seconds(_ node: Node, what: String, upTo limit: Double, reader: ConfigReader)
        throws(ConfigurationError) -> TimeInterval
    {
        let text = try reader.string(node, what: what).trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var number = text
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = String(text.dropLast(unit.suffix.count))
            scale = unit.seconds
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= limit else {
            throw reader.error(
                node, "\(what) must be a positive duration up to \(DurationWords.text(limit)), e.g. 10s, 5m or 24h (got '\(text)')")
        }
        return value * scale
    }
}

/// A number of seconds in words for messages (`300` → `5m`).
enum DurationWords {
    static func text(_ seconds: Double) -> String {
        for (unit, size) in [("d", 86_400.0), ("h", 3600), ("m", 60)] where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            return "\(Int(seconds / size))\(unit)"
        }
        return "\(Int(seconds))s"
    }
}
