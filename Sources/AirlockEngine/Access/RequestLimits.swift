import AirlockCore
import CEL

/// How much one request may ask of the server (`limits:` in the configuration). Each bound is
/// checked before the work it bounds; a request past one is refused, saying which limit and by
/// how much, and changes nothing.
///
/// One limit is not here on purpose: the cost of a rule's CEL evaluation is bounded by the
/// policy itself (CEL's cost budget, 1,000,000 units per evaluation; a rule past it fails and
/// takes the pack's `on_error` tier), so that a pack decides the same on every instance, in
/// replay and in simulation, whatever each server's configuration says.
public struct RequestLimits: Sendable, Hashable {
    /// Bytes of a request body (413 past it).
    public var bodyBytes = 1 << 20
    /// Nesting, string length and array or object size of a JSON body (400 past them).
    public var json = JSONLimits(depth: Value.maximumJSONDepth, stringBytes: 65_536, items: 10_000)
    /// Records one mutation may change: the `targets` of a bulk mutation (422 past it).
    public var bulkTargets = 1_000
    /// Seconds a long poll (`?wait=`, `get_mutation`'s `wait_seconds`) may hold a request.
    public var waitSeconds = 60
    /// Long polls one principal may hold open at once (429 past it).
    public var longPollsPerPrincipal = 64

    public init() {}
}

/// A token bucket's size and refill: `perSecond` requests a second on average, `burst` at once.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// No limit (`rate_limit: none`).
    public static let unlimited = RateLimit(perSecond: .infinity, burst: .max)

    public var isUnlimited: Bool { perSecond == .infinity }

    public var description: String {
        if isUnlimited { return "no limit" }
        let rate = perSecond.rounded() == perSecond ? String(Int(perSecond)) : String(perSecond)
        return "\(rate) requests/s, burst \(burst)"
    }
}

/// Each kind of principal's request rate (`rate_limits:`); a principal's own `rate_limit`
/// overrides its kind's. Every authenticated request counts, long polls and MCP calls included.
public struct RateLimits: Sendable, Hashable {
    public var agent = RateLimit(perSecond: 100, burst: 200)
    public var service = RateLimit(perSecond: 1_000, burst: 2_000)
    public var human = RateLimit(perSecond: 20, burst: 100)

    public init() {}

    /// The limit of a kind.
    public subscript(kind: Actor.Kind) -> RateLimit {
        get {
            switch kind {
            case .agent: agent
            case .service: service
            case .human: human
            }
        }
        set {
            switch kind {
            case .agent: agent = newValue
            case .service: service = newValue
            case .human: human = newValue
            }
        }
    }

    /// The limit that applies to `principal`, and where it is configured (for the refusal).
    public func limit(for principal: Principal) -> (limit: RateLimit, source: String) {
        if let own = principal.rateLimit { return (own, "the rate_limit of '\(principal.id)'") }
        return (self[principal.kind], "rate_limits.\(principal.kind.rawValue)")
    }
}
