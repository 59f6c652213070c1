/// How often and how patiently an HTTP executor retries a call that failed in a way that may
/// pass (a 5xx answer, a timeout, a refused connection): capped exponential backoff.
public struct RetryPolicy: Sendable, Hashable {
    /// Calls in all, the first included (at least 1).
    public var attempts: Int
    /// The wait before the second call; each later wait doubles…
    public var initialDelay: Duration
    /// …up to this.
    public var maximumDelay: Duration

    public init(attempts: Int = 4, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(5)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait before call number `attempt` (2 or more): `initialDelay · 2^(attempt − 2)`,
    /// at most `maximumDelay`.
    public func delay(beforeAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        var step = 2
        while step < attempt, delay < maximumDelay {
            delay *= 2
            step += 1
        }
        return min(delay, maximumDelay)
    }
}
