import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging
import Synchronization

/// The oversight checks' settings, each pool's overdue counts at the last checks, and the signs
/// in alarm now.
struct OversightBook: Sendable {
    var settings = Oversight.Settings()
    var overdue: [String: [Int]] = [:]
    var alarmed: Set<String> = []
}

extension Gateway {
    /// Sets the oversight thresholds.
    public func configureOversight(_ settings: Oversight.Settings) {
        oversightBook.withLock { $0.settings = settings }
    }

    /// Reads the window's votes and the open reviews, and raises an `oversight` alarm (audited,
    /// notified, counted) for each sign not in alarm already. Returns every sign found.
    @discardableResult
    public func checkOversight() async throws -> [Oversight.Finding] {
        let settings = oversightBook.withLock { $0.settings }
        let now = clock.now()
        var reviews: [String: ReviewRecord] = [:]
        var votes: [Oversight.Vote] = []
        for vote in try await store.votes(castSince: now.addingTimeInterval(-Double(settings.window))) {
            if reviews[vote.reviewID] == nil { reviews[vote.reviewID] = try await store.review(id: vote.reviewID) }
            guard let review = reviews[vote.reviewID] else { continue }
            votes.append(
                Oversight.Vote(
                    reviewer: vote.reviewer, pool: vote.pool ?? review.groups.first?.pool ?? "", approve: vote.decision == .approve,
                    at: vote.at.timeIntervalSince1970, reviewOpenedAt: review.openedAt.timeIntervalSince1970,
                    blocking: review.mode == .blocking))
        }
        var overdue: [String: Int] = [:]
        for review in try await store.openReviews(deadlineBefore: now) {
            for pool in Set(review.groups.map(\.pool)) { overdue[pool, default: 0] += 1 }
        }
        let history = oversightBook.withLock { book -> [String: [Int]] in
            for pool in Set(book.overdue.keys).union(overdue.keys) {
                book.overdue[pool, default: []].append(overdue[pool] ?? 0)
                book.overdue[pool] = Array(book.overdue[pool]!.suffix(settings.overdueGrowth + 1))
            }
            return book.overdue
        }
        let findings = Oversight.check(votes, settings: settings) + Oversight.overdueGrowing(history, settings: settings)
        let entered = try await settleAlarms("oversight", findings.map { ($0.key, true) }, exclusive: true) { body in
            oversightBook.withLock { body(&$0.alarmed) }
        }
        var seen: Set<String> = []
        let raised = findings.filter { entered.contains($0.key) && seen.insert($0.key).inserted }
        guard !raised.isEmpty else { return findings }
        var change = StoreChange(at: now)
        for finding in raised {
            let payload = CELMap(["kind": .string(finding.kind), "subject": .string(finding.subject), "detail": .string(finding.detail)])
            change.appendAudit(AuditEntry(kind: .oversight, actor: "airlock", payload: CanonicalJSON.encode(.map(payload)), policyVersion: activePack?.version))
            notifications.enqueue(
                NotificationEvent(
                    id: Self.newID(prefix: "evt_", at: now), kind: .oversight, time: now,
                    text: "Oversight: \(finding.subject): \(finding.detail)", actor: "airlock", detail: finding.detail,
                    extra: ["sign": .string(finding.kind), "subject": .string(finding.subject)]),
                into: &change)
            logger.warning("oversight", metadata: ["sign": "\(finding.kind)", "subject": "\(finding.subject)", "detail": "\(finding.detail)"])
        }
        _ = try await apply(change)
        for _ in raised { metrics.alarmRaised("oversight") }
        return findings
    }
}
