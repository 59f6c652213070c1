import AirlockCore
import Foundation
import Synchronization

/// What a principal may still ask of the server now: its request rate (a token bucket per
/// principal) and the long polls it holds open. Only authenticated principals have state here, so
/// it is bounded by the configuration, never by what callers send.
public final class Admission: Sendable {
    private struct Bucket {
        var limit: RateLimit
        var tokens: Double
        var refilledAt: Date
    }

    private struct State {
        var limits = RequestLimits()
        var rates = RateLimits()
        var buckets: [String: Bucket] = [:]
        var longPolls: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let clock: any GatewayClock

    init(clock: any GatewayClock) {
        self.clock = clock
    }

    /// The request limits in force.
    public var limits: RequestLimits { state.withLock { $0.limits } }

    /// The rate limits in force.
    public var rates: RateLimits { state.withLock { $0.rates } }

    /// Puts new limits in force (at start and on a reload). A principal whose rate limit is
    /// unchanged keeps its bucket, so a reload gives nobody a fresh burst.
    public func configure(limits: RequestLimits, rates: RateLimits) {
        state.withLock { state in
            state.limits = limits
            state.rates = rates
        }
    }

    /// Counts one request of `principal` against its rate limit.
    ///
    /// - Throws: `tooManyRequests`, with the seconds until a request would be let through.
    public func admit(_ principal: Principal) throws(GatewayError) {
        let now = clock.now()
        let refusal: (retryAfter: Int, limit: RateLimit, source: String)? = state.withLock { state in
            let (limit, source) = state.rates.limit(for: principal)
            if limit.isUnlimited { return nil }
            var bucket = state.buckets[principal.id] ?? Bucket(limit: limit, tokens: Double(limit.burst), refilledAt: now)
            if bucket.limit != limit {
                bucket = Bucket(limit: limit, tokens: min(bucket.tokens, Double(limit.burst)), refilledAt: bucket.refilledAt)
            }
            let elapsed = max(0, now.timeIntervalSince(bucket.refilledAt))
            bucket.tokens = min(Double(limit.burst), bucket.tokens + elapsed * limit.perSecond)
            bucket.refilledAt = now
            defer { state.buckets[principal.id] = bucket }
            guard bucket.tokens >= 1 else {
                let wait = limit.perSecond > 0 ? (1 - bucket.tokens) / limit.perSecond : 3_600
                return (max(1, Int(wait.rounded(.up))), limit, source)
            }
            bucket.tokens -= 1
            return nil
        }
        if let refusal {
            throw GatewayError(
                .tooManyRequests, title: "Too many requests",
                detail: "'\(principal.id)' is over its rate limit (\(refusal.limit), \(refusal.source)); retry after \(refusal.retryAfter) s",
                retryAfter: refusal.retryAfter)
        }
    }

    /// The long polls `principalID` holds open now.
    public func longPollsHeld(by principalID: String) -> Int {
        state.withLock { $0.longPolls[principalID, default: 0] }
    }

    /// Holds one of `principal`'s long polls open for `body`'s duration.
    ///
    /// - Throws: `tooManyRequests` when the principal already holds as many as it may.
    func holdingLongPoll<T>(
        for principal: Principal, _ body: () async throws(GatewayError) -> T
    ) async throws(GatewayError) -> T {
        let refused: Int? = state.withLock { state in
            let open = state.longPolls[principal.id, default: 0]
            guard open < state.limits.longPollsPerPrincipal else { return state.limits.longPollsPerPrincipal }
            state.longPolls[principal.id] = open + 1
            return nil
        }
        if let refused {
            throw GatewayError(
                .tooManyRequests, title: "Too many long polls",
                detail: "'\(principal.id)' already holds \(refused) long polls open (limits.long_polls_per_principal); wait for one to end",
                retryAfter: 1)
        }
        defer {
            state.withLock { state in
                let open = state.longPolls[principal.id, default: 1] - 1
                state.longPolls[principal.id] = open > 0 ? open : nil
            }
        }
        return try await body()
    }
}
