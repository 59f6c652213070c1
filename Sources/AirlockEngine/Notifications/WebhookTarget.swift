import AirlockCore
import Foundation

/// Where webhook events go: a URL, the kinds it wants, the HMAC secret its deliveries are signed
/// with, and how long Airlock keeps trying when it does not answer 2xx.
public struct WebhookTarget: Sendable, Hashable {
    /// The URL events are POSTed to; it names the target in the outbox and in logs.
    public var url: String
    /// The kinds it receives; `nil` for every kind.
    public var events: Set<NotificationKind>?
    /// The HMAC-SHA256 key of `X-Airlock-Signature`.
    public var secret: [UInt8]
    /// The environment variable the secret was read from (for messages; never the secret).
    public var secretEnv: String
    /// Attempts in all before a delivery is marked `failed`.
    public var maxAttempts: Int
    /// Seconds after the event before a delivery still failing is marked `failed`.
    public var maxAge: TimeInterval
    /// Seconds a call may take before it counts as failed.
    public var timeout: TimeInterval
    /// Calls in flight to this target at most.
    public var concurrency: Int

    public init(
        url: String, events: Set<NotificationKind>? = nil, secret: [UInt8], secretEnv: String = "", maxAttempts: Int = 12,
        maxAge: TimeInterval = 86_400, timeout: TimeInterval = 10, concurrency: Int = 4
    ) {
        self.url = url
        self.events = events
        self.secret = secret
        self.secretEnv = secretEnv
        self.maxAttempts = max(1, maxAttempts)
        self.maxAge = maxAge
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
    }

    /// Whether it wants events of this kind.
    public func accepts(_ kind: NotificationKind) -> Bool {
        events?.contains(kind) ?? true
    }
}

extension WebhookTarget {
    /// The URL as logs and messages show it: a password in it, its path past the first segment
    /// (chat webhooks carry their token there: `/services/T…/B…/XXXX`) and the values of its
    /// query (`?access_token=…`) replaced with `[redacted]`; the scheme, user, host, port and
    /// first segment kept to tell targets apart.
    public var redactedURL: String { Self.redacted(url) }

    static func redacted(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.percentEncodedHost else {
            return "[a URL that does not parse]"
        }
        var text = scheme + "://"
        if let user = parts.percentEncodedUser {
            text += user + (parts.percentEncodedPassword == nil ? "" : ":[redacted]") + "@"
        }
        text += host + (parts.port.map { ":\($0)" } ?? "")
        let segments = parts.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if let first = segments.first {
            text += "/" + first + (segments.count > 1 ? "/[redacted]" : "")
        }
        if let query = parts.percentEncodedQuery {
            text += "?" + query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
                return pair[..<equals] + "=[redacted]"
            }.joined(separator: "&")
        }
        return text
    }
}
