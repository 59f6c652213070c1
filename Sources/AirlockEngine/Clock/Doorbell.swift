import Foundation
import Synchronization

/// Wakes a service that sleeps on the clock when there is new work, without polling: the
/// delivery service when an event was committed to the outbox, the deadline service when a
/// review's deadline was set.
///
/// A waiter reads ``generation`` before it looks at the outbox, then waits for a ring after that
/// generation: a ring between the look and the wait is not lost.
final class Doorbell: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var next: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// How many times it rang.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    func ring() {
        let woken = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once it rang after `seen`, when `deadline` passes on `clock`, or when the task is
    /// cancelled; whichever comes first.
    func wait(after seen: UInt64, until deadline: Date?, clock: any GatewayClock) async {
        await withTaskGroup(of: Void.self) { group in
            if let deadline { group.addTask { try? await clock.sleep(until: deadline) } }
            group.addTask { await self.ring(after: seen) }
            await group.next()
            group.cancelAll()
        }
    }

    private func ring(after seen: UInt64) async {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let parked = state.withLock { $0.waiters.removeValue(forKey: id) }
            parked?.resume()
        }
    }
}
