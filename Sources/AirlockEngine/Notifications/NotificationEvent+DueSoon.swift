import AirlockCore
import AirlockStore
import CEL
import Foundation

extension NotificationEvent {
    /// The id of the `review_due_soon` event of one deadline of a review: the same on every
    /// instance and after a restart, so that the outbox refuses a second one.
    static func dueSoonID(review: ReviewRecord) -> String {
        "due_soon_\(review.id)_\(review.escalations)"
    }

    /// The `review_due_soon` event of a review whose deadline is near: `Due soon: the review of
    /// update of crm.customer by agent-7 (mut_…) is due at … (in 15m); it needs 1 from finance`,
    /// with the deadline (`deadline`), the seconds left (`seconds_left`) and how many times it was
    /// escalated (`escalations`) beside the usual fields.
    static func reviewDueSoon(
        _ review: ReviewRecord, deadline: Date, of record: MutationRecord, at now: Date
    ) -> NotificationEvent {
        let subject = Self.subject(
            mutationID: record.id, resource: record.resource, operation: record.operation, submitter: record.actorID)
        let pools = review.groups.map { "\($0.count) from \($0.pool)" }.joined(separator: " and ")
        let left = max(0, deadline.timeIntervalSince(now).rounded(.up))
        let due = MutationView.format(deadline)
        let text = "Due soon: the review of \(subject) is due at \(due) (in \(DurationWords.text(left))); it needs \(pools)"
        return NotificationEvent(
            id: dueSoonID(review: review), kind: .reviewDueSoon, time: now, text: text, mutationID: record.id,
            submitter: record.actorID, actor: "airlock", resource: record.resource.isEmpty ? nil : record.resource,
            operation: record.operation, tier: record.tier, status: record.status, reviewID: review.id, detail: pools,
            extra: [
                "deadline": .string(due), "seconds_left": .int(Int64(left)), "escalations": .int(Int64(review.escalations)),
            ])
    }
}
