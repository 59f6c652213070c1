import Foundation
import Synchronization

/// Wakes the deadline service when a review's deadline is set (a review opened or escalated), so
/// that it sleeps until the earliest deadline instead of polling.
///
/// The service reads ``generation`` before it asks the store for the next deadline and passes it
/// to ``wait(after:until:clock:)``: a deadline set between the read and the wait has already
/// moved the generation, so the wait returns at once and nothing is missed.
final class DeadlineAlarm: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    /// How many times a deadline was set.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// A deadline was set: wake whoever waits.
    func ring() {
        let woken = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when the alarm rings after `generation`, when `deadline` passes on `clock`, or when
    /// the task is cancelled; without a deadline, only the first and the last.
    func wait(after generation: UInt64, until deadline: Date?, clock: any GatewayClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.rung(after: generation) }
            if let deadline {
                group.addTask { try? await clock.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func rung(after generation: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.next &+= 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
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
