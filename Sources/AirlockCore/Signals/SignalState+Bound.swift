/// The bound on the number of actors a ``SignalState`` remembers.
extension SignalState {
    /// The default of ``maxActors``: enough for every principal of a large deployment, small
    /// enough to save every few seconds (a few hundred bytes per actor).
    public static let defaultMaxActors = 10_000

    /// Adds the history of an actor not yet remembered, making room first when the bound is
    /// reached: down to 90% of it, less one for the actor added.
    mutating func add(_ id: String, _ history: ActorHistory, at seconds: Int64) {
        if actors.count >= maxActors { evict(downTo: maxActors - max(1, maxActors / 10), at: seconds) }
        actors[id] = history
    }

    /// Forgets the actors whose history changes no signal at `now`, then, while more than
    /// `target` are left, the least recently active (by id among equals, so the outcome does not
    /// depend on the dictionary's order).
    mutating func evict(downTo target: Int, at now: Int64) {
        // One pass over the histories, then work on ids alone.
        var spent: [String] = []
        var candidates: [(id: String, lastActive: Int64)] = []
        candidates.reserveCapacity(actors.count)
        for (id, history) in actors {
            if history.isSpent(at: now) {
                spent.append(id)
            } else {
                candidates.append((id, history.lastActive))
            }
        }
        for id in spent { actors.removeValue(forKey: id) }
        let excess = candidates.count - target
        guard excess > 0 else { return }
        // The newest activity that goes: all older go, and of those that recent, the first ids.
        // Selected, not sorted: a full sort of every actor costs more than the eviction itself.
        let cutoff = Self.smallest(excess, of: candidates.map(\.lastActive))
        var out: [String] = []
        var tied: [String] = []
        for candidate in candidates {
            if candidate.lastActive < cutoff {
                out.append(candidate.id)
            } else if candidate.lastActive == cutoff {
                tied.append(candidate.id)
            }
        }
        out += tied.sorted().prefix(excess - out.count)
        for id in out { actors.removeValue(forKey: id) }
    }

    /// The `k`-th smallest of `values` (`k` from 1 to `values.count`): a quickselect, expected
    /// linear time.
    static func smallest(_ k: Int, of values: [Int64]) -> Int64 {
        precondition(k >= 1 && k <= values.count)
        var values = values
        let target = k - 1
        var low = 0
        var high = values.count - 1
        while low < high {
            let pivot = values[low + (high - low) / 2]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now low...j hold values <= pivot, i...high values >= pivot, and any between equal it.
            if target <= j {
                high = j
            } else if target >= i {
                low = i
            } else {
                return values[target]
            }
        }
        return values[target]
    }

    /// The latest activity of any actor: the time a change of the bound evicts at.
    var latestActivity: Int64 { actors.values.lazy.map(\.lastActive).max() ?? Int64.min }
}

extension SignalState.ActorHistory {
    /// Nothing here changes a signal at `now` or later: no executed mutation (no statistics, so
    /// every resource is a first time) and no submission in the last hour (both rates are 0).
    /// Forgetting such an actor is invisible to policy.
    func isSpent(at now: Int64) -> Bool {
        resources.count == 0 && lastHour.count(at: now) == 0 && lastMinute.count(at: now) == 0
    }
}
