/// Signs that reviewers no longer look: what an `oversight` alarm names.
public enum Oversight {
    /// The thresholds (`oversight:` in the configuration).
    public struct Settings: Sendable, Hashable {
        /// An approval of a blocking (high-tier) review sooner than this after it opened is too fast
        /// to have read it; also the longest gap between approvals of a burst.
        public var minimumReviewSeconds: Double = 10
        /// A reviewer approving at least this share …
        public var approvalRate: Double = 0.98
        /// … of at least this many votes in the window.
        public var minimumVotes = 50
        /// This many approvals in a row, each within ``minimumReviewSeconds`` of the one before.
        public var burst = 5
        /// A pool whose overdue count grew on this many checks in a row.
        public var overdueGrowth = 3
        /// The window of votes checked, in seconds.
        public var window = 86_400

        public init() {}
    }

    /// One vote, as the checks read it.
    public struct Vote: Sendable, Hashable {
        public var reviewer: String
        public var pool: String
        public var approve: Bool
        /// Seconds since the epoch.
        public var at: Double
        /// When its review opened, and whether that review blocks (high tier).
        public var reviewOpenedAt: Double
        public var blocking: Bool

        public init(reviewer: String, pool: String, approve: Bool, at: Double, reviewOpenedAt: Double, blocking: Bool) {
            self.reviewer = reviewer
            self.pool = pool
            self.approve = approve
            self.at = at
            self.reviewOpenedAt = reviewOpenedAt
            self.blocking = blocking
        }
    }

    /// A sign found: its kind, whom it names (`reviewer alice`, `pool finance`) and the evidence.
    public struct Finding: Sendable, Hashable {
        public var kind: String
        public var subject: String
        public var detail: String
        /// What identifies it while it lasts (raised once).
        public var key: String { kind + " " + subject }
    }

    /// The checks of the votes: fast approvals of blocking reviews, reviewers who approve nearly
    /// everything, bursts of approvals faster than a diff can be read.
    public static func check(_ votes: [Vote], settings: Settings) -> [Finding] {
        var findings: [Finding] = []
        let byReviewer = Dictionary(grouping: votes, by: \.reviewer)
        for reviewer in byReviewer.keys.sorted() {
            let own = byReviewer[reviewer]!.sorted { $0.at < $1.at }
            let fast = own.filter { $0.approve && $0.blocking && $0.at - $0.reviewOpenedAt < settings.minimumReviewSeconds }
            if !fast.isEmpty {
                findings.append(
                    Finding(
                        kind: "fast_approval", subject: "reviewer \(reviewer)",
                        detail: "\(fast.count) approval(s) of high-tier reviews within \(Int(settings.minimumReviewSeconds)) s of their opening"))
            }
            let approvals = own.count { $0.approve }
            if own.count >= settings.minimumVotes, Double(approvals) >= settings.approvalRate * Double(own.count) {
                findings.append(
                    Finding(kind: "approves_nearly_all", subject: "reviewer \(reviewer)", detail: "approved \(approvals) of \(own.count) votes"))
            }
            var run = 0
            var longest = 0
            var previous: Double?
            for vote in own {
                if vote.approve, let last = previous, vote.at - last < settings.minimumReviewSeconds {
                    run += 1
                } else {
                    run = vote.approve ? 1 : 0
                }
                previous = vote.approve ? vote.at : nil
                longest = max(longest, run)
            }
            if longest >= settings.burst {
                findings.append(
                    Finding(
                        kind: "approval_burst", subject: "reviewer \(reviewer)",
                        detail: "\(longest) approvals in a row, each within \(Int(settings.minimumReviewSeconds)) s of the last"))
            }
        }
        return findings
    }

    /// The pools whose overdue count grew on each of the last `settings.overdueGrowth` checks;
    /// `history` holds each pool's counts, oldest first.
    public static func overdueGrowing(_ history: [String: [Int]], settings: Settings) -> [Finding] {
        history.keys.sorted().compactMap { pool in
            let counts = history[pool]!.suffix(settings.overdueGrowth + 1)
            guard counts.count == settings.overdueGrowth + 1 else { return nil }
            let growing = zip(counts, counts.dropFirst()).allSatisfy { $0 < $1 }
            return growing
                ? Finding(kind: "overdue_growing", subject: "pool \(pool)", detail: "overdue reviews: \(counts.map(String.init).joined(separator: " → "))")
                : nil
        }
    }
}
