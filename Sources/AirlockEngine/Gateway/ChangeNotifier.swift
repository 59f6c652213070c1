import Foundation
import Synchronization

/// Wakes the requests waiting for a mutation to change (long polls), without any polling.
///
/// A waiter first registers (and gets a ticket), then checks the mutation's status, then waits
/// on the ticket: a change announced between the check and the wait is not lost, because the
/// registration already records it.
final class ChangeNotifier: Sendable {
    private struct Slot {
        let mutationID: String
        var continuation: CheckedContinuation<Bool, Never>?
        var fired = false
    }

    private struct State {
        var next: UInt64 = 0
        var slots: [UInt64: Slot] = [:]
        var byMutation: [String: [UInt64]] = [:]
        /// Set by ``close()``: no wait parks any more.
        var closed = false
        /// How many changes were announced.
        var sequence: UInt64 = 0
    }

    /// What a ticket watches to be woken by a change of any mutation.
    static let anyMutation = "*"

    private let state = Mutex(State())
    /// What the waits' timeouts are measured on.
    private let clock: any GatewayClock

    init(clock: any GatewayClock) {
        self.clock = clock
    }

    /// How many tickets are registered and not yet woken, waited out or cancelled.
    var watching: Int { state.withLock { $0.slots.count } }

    /// Starts watching a mutation; pass the ticket to ``wait(_:until:)`` or ``cancel(_:)``.
    func register(_ mutationID: String) -> UInt64 {
        state.withLock { state in
            state.next += 1
            if state.closed { return state.next }  // no slot: the wait returns at once
            state.slots[state.next] = Slot(mutationID: mutationID)
            state.byMutation[mutationID, default: []].append(state.next)
            return state.next
        }
    }

    /// How many changes were announced so far.
    var sequence: UInt64 { state.withLock { $0.sequence } }

    /// Starts watching for a change of any mutation after `sequence`; nil when one came already.
    func registerAny(after sequence: UInt64) -> UInt64? {
        state.withLock { state in
            if state.sequence > sequence { return nil }
            state.next += 1
            if state.closed { return state.next }
            state.slots[state.next] = Slot(mutationID: Self.anyMutation)
            state.byMutation[Self.anyMutation, default: []].append(state.next)
            return state.next
        }
    }

    /// Announces that a mutation changed, waking everyone watching it or any mutation.
    func announce(_ mutationID: String) {
        let woken: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.sequence &+= 1
            var tickets = state.byMutation.removeValue(forKey: mutationID) ?? []
            if !state.byMutation.isEmpty, let any = state.byMutation.removeValue(forKey: Self.anyMutation) { tickets += any }
            guard !tickets.isEmpty else { return [] }
            var woken: [CheckedContinuation<Bool, Never>] = []
            for ticket in tickets {
                if let continuation = state.slots[ticket]?.continuation {
                    woken.append(continuation)
                    state.slots[ticket] = nil
                } else {
                    state.slots[ticket]?.fired = true
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    /// Wakes every waiter (each checks its mutation again and waits on if nothing changed): for
    /// changes that may have been missed.
    func announceEveryone() {
        let woken: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.sequence &+= 1
            var woken: [CheckedContinuation<Bool, Never>] = []
            for (ticket, slot) in state.slots {
                if let continuation = slot.continuation {
                    woken.append(continuation)
                    state.slots[ticket] = nil
                } else {
                    state.slots[ticket]?.fired = true
                }
            }
            state.byMutation = [:]
            return woken
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    /// Waits until the watched mutation changes or the clock reaches `deadline`; true when it
    /// changed.
    ///
    /// A deadline, not a number of seconds: seconds counted again when the wait parks would add
    /// whatever time passed since the caller computed them (a poll that checked the mutation at
    /// its deadline's last half second then slept a whole second more).
    func wait(_ ticket: UInt64, until deadline: Date) async -> Bool {
        let changed = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                        let immediate: Bool? = self.state.withLock { state in
                            guard let slot = state.slots[ticket] else { return false }
                            if slot.fired {
                                state.slots[ticket] = nil
                                return true
                            }
                            state.slots[ticket]?.continuation = continuation
                            return nil
                        }
                        if let immediate { continuation.resume(returning: immediate) }
                    }
                } onCancel: {
                    self.cancel(ticket)
                }
            }
            group.addTask {
                // Cancelled when the change comes first: either way, the wait is over.
                do { try await self.clock.sleep(until: deadline) } catch {}
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        cancel(ticket)
        return changed
    }

    /// Ends every wait now and every later one at once (returning false): for shutdown, so that
    /// long polls answer instead of holding the server open.
    func close() {
        let parked: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.closed = true
            let parked = state.slots.values.compactMap(\.continuation)
            state.slots = [:]
            state.byMutation = [:]
            return parked
        }
        for continuation in parked { continuation.resume(returning: false) }
    }

    /// Stops watching; a parked waiter returns false.
    func cancel(_ ticket: UInt64) {
        let parked: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard let slot = state.slots.removeValue(forKey: ticket) else { return nil }
            if var tickets = state.byMutation[slot.mutationID] {
                tickets.removeAll { $0 == ticket }
                state.byMutation[slot.mutationID] = tickets.isEmpty ? nil : tickets
            }
            return slot.continuation
        }
        parked?.resume(returning: false)
    }
}
