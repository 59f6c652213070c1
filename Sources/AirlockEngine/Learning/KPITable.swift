import AirlockCore
import AirlockStore
import Foundation

/// The KPI table `airlock kpi` prints, read from the store: the window's decisions from the audit
/// log (``RecordedHistory``) and its votes.
public struct KPITable: Sendable {
    /// How one pool or one reviewer did.
    public struct ReviewerStats: Sendable, Hashable {
        public var name: String
        /// Votes cast.
        public var votes = 0
        public var approvals = 0
        /// Distinct reviewers who voted (for a pool).
        public var reviewers = 0
        /// Seconds from a review's opening to each vote.
        public var secondsToDecide: [Double] = []

        public var approvalRate: Double? { votes == 0 ? nil : Double(approvals) / Double(votes) }
        public var medianSecondsToDecide: Double? { KPIReport.percentile(secondsToDecide, 0.5) }
    }

    public var since: Date
    /// Decisions per routed tier.
    public var tiers: [Tier: Int] = [:]
    /// Microseconds from receiving each mutation to its decision.
    public var decisionMicroseconds: [Double] = []
    public var reviewsOpened = 0
    public var escalated = 0
    public var executed = 0
    public var rolledBack = 0
    /// Executions whose read-back did not match what was decided.
    public var mismatched = 0
    public var pools: [ReviewerStats] = []
    public var reviewers: [ReviewerStats] = []

    public var decided: Int { tiers.values.reduce(0, +) }
    /// Decisions that went ahead without waiting for a person (low and medium).
    public var automatedApprovalRate: Double? {
        decided == 0 ? nil : Double((tiers[.low] ?? 0) + (tiers[.medium] ?? 0)) / Double(decided)
    }
    public var escalationRate: Double? { reviewsOpened == 0 ? nil : Double(escalated) / Double(reviewsOpened) }
    public var rollbackFrequency: Double? { executed == 0 ? nil : Double(rolledBack) / Double(executed) }
    /// Executions that matched their decision, among all executions.
    public var conformityRate: Double? { executed == 0 ? nil : Double(executed - mismatched) / Double(executed) }
    public var medianDecisionMicroseconds: Double? { KPIReport.percentile(decisionMicroseconds, 0.5) }
    public var p95DecisionMicroseconds: Double? { KPIReport.percentile(decisionMicroseconds, 0.95) }

    /// Reads the table of the decisions made at or after `since`.
    public static func read(from store: any Store, since: Date) async throws -> KPITable {
        let history = try await RecordedHistory.read(from: store, since: since)
        var table = KPITable(since: since)
        var opened: [String: Double] = [:]
        for recorded in history.cases {
            table.tiers[recorded.tier, default: 0] += 1
            if let micros = recorded.inputs.decisionMicroseconds { table.decisionMicroseconds.append(Double(micros)) }
            if let at = recorded.outcome.reviewOpenedAt {
                table.reviewsOpened += 1
                opened[recorded.mutationID] = at
            }
            if recorded.outcome.escalated { table.escalated += 1 }
            if recorded.outcome.executed { table.executed += 1 }
            if recorded.outcome.rolledBack { table.rolledBack += 1 }
            if recorded.outcome.verificationMismatch { table.mismatched += 1 }
        }
        var pools: [String: ReviewerStats] = [:]
        var poolMembers: [String: Set<String>] = [:]
        var reviewers: [String: ReviewerStats] = [:]
        for vote in try await store.votes(castSince: since) {
            let pool = vote.pool ?? "(none)"
            let seconds = opened[vote.mutationID].map { vote.at.timeIntervalSince1970 - $0 }
            for key in [pool] {
                pools[key, default: ReviewerStats(name: key)].votes += 1
                if vote.decision == .approve { pools[key]?.approvals += 1 }
                if let seconds { pools[key]?.secondsToDecide.append(seconds) }
            }
            poolMembers[pool, default: []].insert(vote.reviewer)
            reviewers[vote.reviewer, default: ReviewerStats(name: vote.reviewer)].votes += 1
            if vote.decision == .approve { reviewers[vote.reviewer]?.approvals += 1 }
            if let seconds { reviewers[vote.reviewer]?.secondsToDecide.append(seconds) }
        }
        for (pool, members) in poolMembers { pools[pool]?.reviewers = members.count }
        table.pools = pools.values.sorted { $0.name < $1.name }
        table.reviewers = reviewers.values.sorted { $0.name < $1.name }
        return table
    }
}
