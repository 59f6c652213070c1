/// The counters behind `system.queue_depth` and `system.rollback_rate_1h`, kept up to date from
/// the lifecycle steps the engine commits, so that no decision scans the store.
///
/// - `openReviews`: reviews open now (blocking and parallel): +1 for each `openReview` effect, −1
///   for each `closeReview` effect.
/// - The rollback rate over the last hour: the changes rolled back in the hour
///   (`rolling_back → rolled_back`) divided by the changes executed in the hour
///   (`executing → executed`; a refused or failed rollback, `rolling_back → executed`, is not a new
///   execution), capped at 1; 0 when nothing was executed in the hour. Both are counted by the
///   time of their move, in one-minute buckets, so the hour is exact to the minute.
public struct SystemActivity: Sendable, Hashable {
    /// Reviews open now.
    public private(set) var openReviews: Int
    private var executed = RateWindow.hour()
    private var rolledBack = RateWindow.hour()

    /// Counters starting from what the store holds: `openReviews` open reviews, and nothing
    /// executed or rolled back yet (seed those with ``recordExecuted(at:count:)`` and
    /// ``recordRolledBack(at:count:)``).
    public init(openReviews: Int = 0) {
        self.openReviews = max(0, openReviews)
    }

    /// Counts what a committed step changed, at `seconds` (since the epoch).
    ///
    /// - Returns: whether a counter changed.
    @discardableResult
    public mutating func count(_ step: LifecycleStep, at seconds: Int64) -> Bool {
        var changed = false
        for entry in step.entries {
            switch entry {
            case .effect(.openReview):
                openReviews += 1
                changed = true
            case .effect(.closeReview):
                openReviews = max(0, openReviews - 1)
                changed = true
            case .move(let move) where move.from == .executing && move.to == .executed:
                executed.record(at: seconds)
                changed = true
            case .move(let move) where move.from == .rollingBack && move.to == .rolledBack:
                rolledBack.record(at: seconds)
                changed = true
            default:
                break
            }
        }
        return changed
    }

    /// Sets the open reviews to what the store counts (other instances open and close them too).
    ///
    /// - Returns: whether the count changed.
    @discardableResult
    public mutating func setOpenReviews(_ count: Int) -> Bool {
        let count = max(0, count)
        guard count != openReviews else { return false }
        openReviews = count
        return true
    }

    /// Counts `count` executions at `seconds` (seeding from the store).
    public mutating func recordExecuted(at seconds: Int64, count: Int = 1) {
        executed.record(at: seconds, count: count)
    }

    /// Counts `count` completed rollbacks at `seconds` (seeding from the store).
    public mutating func recordRolledBack(at seconds: Int64, count: Int = 1) {
        rolledBack.record(at: seconds, count: count)
    }

    /// Changes executed in the hour that ends at `seconds`.
    public func executedInLastHour(at seconds: Int64) -> Int { executed.count(at: seconds) }

    /// Changes rolled back in the hour that ends at `seconds`.
    public func rolledBackInLastHour(at seconds: Int64) -> Int { rolledBack.count(at: seconds) }

    /// Rolled back in the last hour / executed in the last hour, capped at 1 (a change executed
    /// earlier may be rolled back within the hour); 0 when nothing was executed in the hour.
    public func rollbackRate(at seconds: Int64) -> Double {
        let executions = executed.count(at: seconds)
        guard executions > 0 else { return 0 }
        return min(1, Double(rolledBack.count(at: seconds)) / Double(executions))
    }

    /// The state rules see as `system`, with the freeze an operator set.
    public func systemState(freeze: Bool, at seconds: Int64) -> SystemState {
        SystemState(freeze: freeze, queueDepth: openReviews, rollbackRate1h: rollbackRate(at: seconds))
    }
}
