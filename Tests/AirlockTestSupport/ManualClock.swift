import AirlockEngine
import Foundation
import Synchronization

/// A clock that moves only when a test says so: sleepers wake when ``advance(by:)`` passes their
/// deadline, so deadline, long-poll and service tests never wait for real time.
public final class ManualClock: GatewayClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>?
        var cancelled = false
    }

    private struct State {
        var now: Date
        var next: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
    }

    private let state: Mutex<State>

    /// A clock standing at `start` (2026-01-01T00:00:00Z by default).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// How many tasks are asleep on the clock.
    public var sleeping: Int { state.withLock { $0.sleepers.values.count { $0.continuation != nil } } }

    /// Whether a task is asleep on the clock until exactly `deadline`: a test that moves the clock
    /// for one sleeper waits for that sleeper, not for any (the gateway's services sleep on it
    /// too, for 1, 2, 30, 60 seconds and more).
    public func isSleeping(until deadline: Date) -> Bool {
        state.withLock { $0.sleepers.values.contains { $0.continuation != nil && $0.deadline == deadline } }
    }

    public func sleep(until deadline: Date) async throws {
        let id: UInt64? = state.withLock { state in
            guard deadline > state.now else { return nil }
            state.next += 1
            state.sleepers[state.next] = Sleeper(deadline: deadline)
            return state.next
        }
        guard let id else { return try Task.checkCancellation() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    guard let sleeper = state.sleepers[id] else { return .success(()) }
                    if sleeper.cancelled {
                        state.sleepers[id] = nil
                        return .failure(CancellationError())
                    }
                    if sleeper.deadline <= state.now {
                        state.sleepers[id] = nil
                        return .success(())
                    }
                    state.sleepers[id]?.continuation = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let parked: CheckedContinuation<Void, any Error>? = state.withLock { state in
                guard let sleeper = state.sleepers[id] else { return nil }
                guard let continuation = sleeper.continuation else {
                    state.sleepers[id]?.cancelled = true
                    return nil
                }
                state.sleepers[id] = nil
                return continuation
            }
            parked?.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward, waking every sleeper whose deadline it reaches.
    public func advance(by seconds: TimeInterval) {
        let woken: [CheckedContinuation<Void, any Error>] = state.withLock { state in
            state.now += seconds
            var woken: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in state.sleepers where sleeper.deadline <= state.now {
                if let continuation = sleeper.continuation {
                    woken.append(continuation)
                    state.sleepers[id] = nil
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}
