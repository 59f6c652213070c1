import AirlockCore
import AirlockStore
import Foundation
import Logging

extension Gateway {
    /// The longest lead of a `review_due_soon` event: 15 minutes before the deadline.
    static let longestDueSoonLead: TimeInterval = 15 * 60

    /// How long before its deadline a review is announced as due soon: a quarter of its SLA, at
    /// most 15 minutes (a 2-minute SLA is announced 30 s before, a 4-hour one 15 minutes before).
    static func dueSoonLead(slaSeconds: Int) -> TimeInterval {
        min(Double(max(0, slaSeconds)) / 4, longestDueSoonLead)
    }

    /// Enqueues a `review_due_soon` event for every open review whose deadline is within its lead
    /// of `now` (and not yet passed), once per deadline: an escalated review, with its new
    /// deadline, gets its own. The event's id is the review's and its escalation count, so the
    /// outbox refuses a second one (after a restart, or from another instance); that refusal
    /// means it was already sent. Does nothing when no webhook target is configured.
    ///
    /// - Parameter announced: the ids already enqueued, kept by the caller between rounds so that
    ///   a review is not read again; pruned to the reviews still near their deadline.
    /// - Returns: when the next review not yet due soon will be, among those whose deadline is
    ///   within ``longestDueSoonLead`` of `now`; `nil` when there is none.
    func announceDueSoon(at now: Date, announced: inout Set<String>) async throws -> Date? {
        guard notifications.isEnabled else { return nil }
        let near = try await store.openReviews(deadlineBefore: now.addingTimeInterval(Self.longestDueSoonLead))
        var next: Date?
        var still: Set<String> = []
        for review in near {
            guard let deadline = review.deadline, deadline > now else { continue }
            let id = NotificationEvent.dueSoonID(review: review)
            still.insert(id)
            if announced.contains(id) { continue }
            guard let snapshot = try await snapshot(of: review.mutationID), snapshot.review?.id == review.id else { continue }
            let sla = snapshot.decision?.routed?.slaSeconds ?? Int(deadline.timeIntervalSince(review.openedAt))
            let lead = Self.dueSoonLead(slaSeconds: sla)
            guard lead > 0 else { continue }
            let announceAt = deadline.addingTimeInterval(-lead)
            if announceAt > now {
                next = min(next ?? announceAt, announceAt)
                continue
            }
            var change = StoreChange(at: now)
            notifications.enqueue(.reviewDueSoon(review, deadline: deadline, of: snapshot.record, at: now), into: &change)
            do {
                if change.enqueuesNotifications { try await apply(change) }
                announced.insert(id)
            } catch let error as StoreError where error.code == .alreadyExists {
                // Sent before a restart, or by another instance.
                announced.insert(id)
            } catch {
                logger.error(
                    "enqueueing a review_due_soon event failed; the next round tries again",
                    metadata: ["mutation": "\(review.mutationID)", "review": "\(review.id)", "error": "\(error)"])
            }
        }
        announced.formIntersection(still)
        return next
    }

    /// When the deadline loop must next wake, after settling what was due at `now`: the next
    /// deadline, the next announcement ``announceDueSoon(at:announced:)`` found, and the earliest
    /// time a review beyond the announcement window may enter it; each later than `now`. A
    /// deadline that passed and is still open (acting on it failed, or another instance holds it)
    /// is looked at again `retryAfter` seconds later; it is taken up once no claim holds it.
    func nextDeadlineWake(after now: Date, announcement: Date?, retryAfter: TimeInterval) async throws -> Date? {
        var wake = try await store.nextReviewDeadline(after: now)
        if let earliest = try await store.nextReviewDeadline(), earliest <= now {
            let retry = now.addingTimeInterval(retryAfter)
            wake = min(wake ?? retry, retry)
        }
        if let announcement { wake = min(wake ?? announcement, announcement) }
        if notifications.isEnabled,
            let beyond = try await store.nextReviewDeadline(after: now.addingTimeInterval(Self.longestDueSoonLead))
        {
            let enters = beyond.addingTimeInterval(-Self.longestDueSoonLead)
            wake = min(wake ?? enters, enters)
        }
        return wake
    }
}
