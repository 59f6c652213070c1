import AirlockCore
import AirlockStore

/// What the gateway knows about itself for `system.*`: the freeze as last read from the store,
/// and the counters of open reviews, executions and rollbacks. The ``SystemState`` rules see is
/// built when one of them changes or a minute starts (the rollback rate's hour moves by the
/// minute), not per decision.
struct SystemBook: Sendable {
    /// The freeze in force (`nil` when none was ever set).
    var freeze: FreezeRecord? {
        didSet { stale = true }
    }
    /// The counters behind `queue_depth` and `rollback_rate_1h`.
    private(set) var activity = SystemActivity()
    private var built = SystemState()
    private var builtMinute = Int64.min
    private var stale = true

    /// Replaces the counters (seeded from the store).
    mutating func reset(to activity: SystemActivity) {
        self.activity = activity
        stale = true
    }

    /// Sets the open reviews to the store's count.
    mutating func setOpenReviews(_ count: Int) {
        if activity.setOpenReviews(count) { stale = true }
    }

    /// Counts what a committed step changed, at `seconds` (since the epoch).
    mutating func count(_ step: LifecycleStep, at seconds: Int64) {
        if activity.count(step, at: seconds) { stale = true }
    }

    /// The state rules see at `seconds` (since the epoch).
    mutating func state(at seconds: Int64) -> SystemState {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        if stale || minute != builtMinute {
            built = activity.systemState(freeze: freeze?.on ?? false, at: seconds)
            builtMinute = minute
            stale = false
        }
        return built
    }
}
