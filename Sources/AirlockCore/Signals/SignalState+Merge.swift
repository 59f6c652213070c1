/// Merging histories: how instances sharing a database combine the signal history each gathered
/// (every instance adds what it saw since its last save to the stored history, and takes the
/// result back). Merging is what adding the same events to one history would give: rates add per
/// time bucket, statistics combine exactly (Chan et al.'s parallel form of Welford's update), and
/// the values seen are the union.
extension SignalState {
    /// Adds every event of `other` (another instance's history, or the events since a save) to
    /// this history.
    public mutating func merge(_ other: SignalState) {
        // The actors known here first, so that their activity is current before a new one's
        // arrival may evict the least recently active.
        var newcomers: [(String, ActorHistory)] = []
        for (id, history) in other.actors {
            if let i = actors.index(forKey: id) {
                actors.values[i].merge(history)
            } else {
                newcomers.append((id, history))
            }
        }
        var latest = latestActivity
        for (id, history) in newcomers.sorted(by: { ($0.1.lastActive, $0.0) < ($1.1.lastActive, $1.0) }) {
            latest = max(latest, history.lastActive)
            add(id, history, at: latest)
        }
        other.resources.forEach { name, history in
            resources.update(name, default: ResourceHistory.init) { $0.merge(history) }
        }
    }

    /// Whether no event was added to this history.
    public var isEmpty: Bool { actors.isEmpty && resources.count == 0 }
}

extension SignalState.ActorHistory {
    mutating func merge(_ other: Self) {
        lastMinute.merge(other.lastMinute)
        lastHour.merge(other.lastHour)
        other.resources.forEach { resource, fields in
            resources.update(resource, default: NameTable.init) { mine in
                fields.forEach { field, stats in
                    mine.update(field, default: RunningStats.init) { $0.merge(stats) }
                }
            }
        }
        lastActive = max(lastActive, other.lastActive)
    }
}

extension SignalState.ResourceHistory {
    mutating func merge(_ other: Self) {
        other.fields.forEach { field, stats in
            fields.update(field, default: RunningStats.init) { $0.merge(stats) }
        }
        other.seen.forEach { field, values in
            seen.update(field, default: { [] }) { $0.formUnion(values) }
        }
    }
}

extension RateWindow {
    /// Adds the events counted by `other` (a window of the same width) to this window's buckets.
    public mutating func merge(_ other: RateWindow) {
        precondition(other.bucketSeconds == bucketSeconds, "rate windows of different widths do not merge")
        for (stamp, count) in other.filledBuckets {
            let (start, overflow) = stamp.multipliedReportingOverflow(by: bucketSeconds)
            if !overflow { record(at: start, count: count) }
        }
    }
}
