import Foundation

/// Where the engine, its services and its long polls read the time and wait for it. Injected, so
/// that deadline and escalation tests move time by hand and never sleep.
public protocol GatewayClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (at once when it has passed).
    ///
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

extension GatewayClock {
    /// Suspends for `seconds` from now.
    public func sleep(for seconds: TimeInterval) async throws {
        try await sleep(until: now().addingTimeInterval(seconds))
    }
}

/// The system's wall clock.
public struct SystemClock: GatewayClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(for: .nanoseconds(Int64(seconds * 1_000_000_000)))
    }
}
