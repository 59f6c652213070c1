import AirlockCore
import AirlockStore
import Foundation

/// The window a KPI report covers.
public enum KPIPeriod: String, Sendable, CaseIterable {
    case hour, day, week

    /// The window's length.
    public var seconds: Int {
        switch self {
        case .hour: 3_600
        case .day: 86_400
        case .week: 604_800
        }
    }

    /// The width of one bar of the report's time series: 12, 24 and 28 bars.
    public var bucketSeconds: Int {
        switch self {
        case .hour: 300
        case .day: 3_600
        case .week: 21_600
        }
    }
}

/// How the gateway and its reviewers did over a window: what the console's dashboard shows.
public struct KPIReport: Sendable {
    /// One bar of the time series: the decisions per tier made within it.
    public struct Bucket: Sendable {
        public var start: Date
        public var tiers: [String: Int]
        public var total: Int { tiers.values.reduce(0, +) }
    }

    public var period: KPIPeriod
    public var since: Date
    public var now: Date
    /// Decisions per tier (`low`, `medium`, `high`, `block`), and `invalid` for submissions refused
    /// before a decision.
    public var decisions: [String: Int]
    /// Every bucket of the window, oldest first, empty ones included.
    public var series: [Bucket]
    /// Reviews opened in the window.
    public var reviewsOpened: Int
    /// Reviews opened in the window that escalated at least once.
    public var reviewsEscalated: Int
    /// Seconds from a review's opening to a reviewer's decision (approved or rejected), for the
    /// reviews opened in the window that a person closed.
    public var decisionSeconds: [Double]
    /// Reviews open now, and how many of them are past their deadline.
    public var openReviews: Int
    public var overdueReviews: Int
    /// Mutations rolled back in the window.
    public var rollbacks: Int

    /// All decisions in the window.
    public var decided: Int { decisions.filter { $0.key != "invalid" }.values.reduce(0, +) }

    /// The share of decisions that went ahead without waiting for a person (low and medium).
    public var autoApprovalRate: Double? {
        decided == 0 ? nil : Double((decisions["low"] ?? 0) + (decisions["medium"] ?? 0)) / Double(decided)
    }

    /// The share of reviews opened in the window that escalated.
    public var escalationRate: Double? {
        reviewsOpened == 0 ? nil : Double(reviewsEscalated) / Double(reviewsOpened)
    }

    /// The median time to a human decision, in seconds.
    public var medianDecisionSeconds: Double? { Self.percentile(decisionSeconds, 0.5) }
    /// The 95th percentile of the time to a human decision, in seconds.
    public var p95DecisionSeconds: Double? { Self.percentile(decisionSeconds, 0.95) }

    /// The nearest-rank percentile `p` (0…1) of `values`; `nil` when there are none.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? { Percentile.nearestRank(values, p) }
}

extension Gateway {
    /// The KPIs of the last hour, day or week, read from the store. Reviewers, admins and
    /// auditors may read them.
    public func kpis(_ period: KPIPeriod, for principal: Principal) async throws(GatewayError) -> KPIReport {
        guard principal.has(.reviewer) || principal.has(.admin) || principal.has(.auditor) else {
            throw .forbidden("'\(principal.id)' may not read the KPIs: they are for reviewers, admins and auditors")
        }
        let now = clock.now()
        let width = Double(period.bucketSeconds)
        // The first bucket is the one holding `now - period`, so every bar has its full width.
        let since = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 - Double(period.seconds)) / width).rounded(.down) * width + width)
        do {
            let counts = try await store.tierCounts(since: since, bucketSeconds: period.bucketSeconds)
            var decisions: [String: Int] = [:]
            var byBucket: [Date: [String: Int]] = [:]
            for count in counts {
                let tier = count.tier ?? "invalid"
                decisions[tier, default: 0] += count.count
                byBucket[count.bucketStart, default: [:]][tier, default: 0] += count.count
            }
            var series: [KPIReport.Bucket] = []
            var start = since
            while start <= now {
                series.append(KPIReport.Bucket(start: start, tiers: byBucket[start] ?? [:]))
                start = start.addingTimeInterval(width)
            }
            let reviews = try await store.reviews(openedSince: since)
            let decisionSeconds = reviews.compactMap { review -> Double? in
                guard review.status == .approved || review.status == .rejected, let closed = review.closedAt else { return nil }
                return closed.timeIntervalSince(review.openedAt)
            }
            let open = try await store.openReviews(deadlineBefore: nil)
            let rollbacks = try await store.moveCounts(from: .rollingBack, to: .rolledBack, since: since, bucketSeconds: period.seconds)
            return KPIReport(
                period: period, since: since, now: now, decisions: decisions, series: series, reviewsOpened: reviews.count,
                reviewsEscalated: reviews.count { $0.escalations > 0 }, decisionSeconds: decisionSeconds,
                openReviews: open.count, overdueReviews: open.count { ($0.deadline.map { $0 <= now }) ?? false },
                rollbacks: rollbacks.reduce(0) { $0 + $1.count })
        } catch {
            throw .unavailable(error)
        }
    }
}
