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
///
/// It waits in naps of at most ``longestNap``: the runtime keeps a cancelled `Task.sleep`'s timer
/// and task (about 700 bytes) until the time it was asked to sleep to. The deadline service's
/// wait for the earliest review deadline (hours away) is cancelled each time a review opens, so
/// one long sleep per opened review stayed in memory for hours: a 30-minute soak with 2% of
/// high-tier submissions grew by 1.5 MiB a minute. In naps, a cancelled wait holds at most one
/// nap's timer, and a wall-clock change is seen within a nap.
public struct SystemClock: GatewayClock {
    /// The longest single `Task.sleep` a wait is made of.
    public static let longestNap: TimeInterval = 1

    private let nap: @Sendable (TimeInterval) async throws -> Void

    public init() {
        self.init { seconds in try await Task.sleep(for: .nanoseconds(Int64(seconds * 1_000_000_000))) }
    }

    /// A clock whose naps are `nap` (tests watch what a wait asks of the runtime).
    init(nap: @escaping @Sendable (TimeInterval) async throws -> Void) {
        self.nap = nap
    }

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        while true {
            let seconds = deadline.timeIntervalSinceNow
            guard seconds > 0 else { return try Task.checkCancellation() }
            try await nap(min(seconds, Self.longestNap))
        }
    }
}
