import Synchronization

/// At most `limit` calls in flight to one service: a caller past it waits its turn (first come,
/// first served) for a bounded time, and gives up rather than queue behind a service that hangs.
final class CallSlots: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var free: Int
        var waiting: [Waiter] = []
        /// Waits begun and not yet granted or given up.
        var open: Set<UInt64> = []
        /// Waits whose time ran out before they joined the queue.
        var expiredEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    /// Calls allowed in flight at once.
    let limit: Int
    private let state: Mutex<State>

    init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(free: max(1, limit)))
    }

    /// Calls in flight now.
    var inFlight: Int { state.withLock { limit - $0.free } }

    /// Takes a slot, waiting at most `seconds` for one; false when none came free in that time.
    /// A caller that got one must ``release()`` it.
    func acquire(within seconds: Double) async -> Bool {
        let id: UInt64? = state.withLock { state in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            state.nextID += 1
            state.open.insert(state.nextID)
            return state.nextID
        }
        guard let id else { return true }
        let timer = Task {
            // In naps (SystemClock): a slot freed early cancels this, which must not hold memory.
            try? await SystemClock().sleep(for: seconds)
            if !Task.isCancelled { self.expire(id) }
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = state.withLock { state in
                if state.expiredEarly.remove(id) != nil { return false }
                if state.free > 0 {
                    state.free -= 1
                    state.open.remove(id)
                    return true
                }
                state.waiting.append(Waiter(id: id, continuation: continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Gives a slot back: to the longest waiter, if any.
    func release() {
        let next: Waiter? = state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.free = min(limit, state.free + 1)
                return nil
            }
            let waiter = state.waiting.removeFirst()
            state.open.remove(waiter.id)
            return waiter
        }
        next?.continuation.resume(returning: true)
    }

    private func expire(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard state.open.remove(id) != nil else { return nil }  // granted meanwhile
            if let index = state.waiting.firstIndex(where: { $0.id == id }) {
                return state.waiting.remove(at: index)
            }
            state.expiredEarly.insert(id)  // it has not joined the queue yet
            return nil
        }
        waiter?.continuation.resume(returning: false)
    }
}
