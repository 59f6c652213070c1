import AirlockCore
import CoreMetrics
import Foundation
import Synchronization

/// What the gateway counts and times, through swift-metrics (`airlock serve` exports it in the
/// Prometheus format at `/metrics`). Names follow Prometheus conventions; labels carry only bounded
/// values (tiers, the pack's resources and pools, outcomes), never ids.
public final class GatewayMetrics: Sendable {
    let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])
    let decisionDuration: CoreMetrics.Timer
    let humanDecision: CoreMetrics.Timer

    public init(factory: any MetricsFactory) {
        self.factory = factory
        decisionDuration = CoreMetrics.Timer(label: "airlock_decision_duration_seconds", factory: factory)
        humanDecision = CoreMetrics.Timer(label: "airlock_human_decision_duration_seconds", factory: factory)
        // The counters an operator alerts on exist from the start, at 0: `increase()` and
        // `rate()` cannot see the first event of a series that did not exist before it.
        for (label, dimensions) in Self.declared { counter(label, dimensions) }
    }

    /// Every counter whose labels are known before anything happens.
    static let declared: [(String, [(String, String)])] =
        [
            ("airlock_escalations_total", []), ("airlock_verification_failures_total", []),
            ("airlock_rollbacks_total", []),
            ("airlock_webhook_delivery_failures_total", [("final", "true")]),
            ("airlock_webhook_delivery_failures_total", [("final", "false")]),
            ("airlock_executions_total", [("outcome", "executed")]), ("airlock_executions_total", [("outcome", "failed")]),
        ]
        + ["drift", "oversight", "verification_failed", "rollback_refused", "rollback_failed"].map {
            ("airlock_alarms_total", [("kind", $0)])
        }

    /// Metrics that go nowhere (tests and tools that do not export them).
    public static let none = GatewayMetrics(factory: NOOPMetricsHandler.instance)

    /// Adds one to the counter `label` with `dimensions`.
    func count(_ label: String, _ dimensions: [(String, String)] = []) {
        counter(label, dimensions).increment()
    }

    /// The counter `label` with `dimensions`, made (at 0) the first time.
    @discardableResult
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// An alarm raised outside a mutation's lifecycle (`drift`, `oversight`).
    func alarmRaised(_ kind: String) {
        count("airlock_alarms_total", [("kind", kind)])
    }

    /// The latest drift index of a resource's distribution (`dimension`: tier, class, score).
    func driftScore(resource: String, dimension: String, index: Double) {
        Gauge(label: "airlock_drift_score", dimensions: [("resource", resource), ("dimension", dimension)], factory: factory)
            .record(index)
    }

    /// The latest ratio of a pool's median time to decide, window over reference.
    func reviewLatencyRatio(pool: String, ratio: Double) {
        Gauge(label: "airlock_review_latency_ratio", dimensions: [("pool", pool)], factory: factory).record(ratio)
    }

    /// A decision made: its routed tier and resource (`unknown` for a resource the pack lacks,
    /// so that a caller cannot grow the label set), and how long the whole submission took.
    func decided(tier: String, resource: String, known: Bool, nanoseconds: Int64) {
        count("airlock_decisions_total", [("tier", tier), ("resource", known ? resource : "unknown")])
        decisionDuration.recordNanoseconds(nanoseconds)
    }

    /// What a committed lifecycle step did, besides its decision.
    func counted(_ step: LifecycleStep) {
        for effect in step.effects {
            switch effect {
            case .escalateReview: count("airlock_escalations_total")
            case .raiseAlarm(let alarm):
                count("airlock_alarms_total", [("kind", alarm.kind)])
                if case .verificationFailed = alarm { count("airlock_verification_failures_total") }
            default: break
            }
        }
        for move in step.moves {
            switch move.to {
            case .executed where move.from == .executing: count("airlock_executions_total", [("outcome", "executed")])
            case .failed: count("airlock_executions_total", [("outcome", "failed")])
            case .rolledBack: count("airlock_rollbacks_total")
            default: break
            }
        }
    }

    /// A review decided by people, `seconds` after it opened.
    func humanDecided(seconds: Double) {
        humanDecision.recordNanoseconds(Int64(max(0, seconds) * 1_000_000_000))
    }

    /// A reviewer's vote, by the pool it counted for.
    func voted(pool: String, approve: Bool) {
        count("airlock_votes_total", [("pool", pool), ("decision", approve ? "approve" : "reject")])
    }

    /// A webhook delivery attempt that failed: retried later, or given up (`final`).
    func webhookFailed(finally given: Bool) {
        count("airlock_webhook_delivery_failures_total", [("final", given ? "true" : "false")])
    }
}
