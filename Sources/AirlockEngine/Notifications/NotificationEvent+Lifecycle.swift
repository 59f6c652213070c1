import AirlockCore
import Foundation

extension NotificationEvent {
    /// The event of one notification a lifecycle step implies, with its chat line.
    static func lifecycle(
        _ notice: StepNotification, id: String, time: Date, mutationID: String, submitter: String, actor: String,
        resource: String, operation: String?, tier: String?, reviewID: String?
    ) -> NotificationEvent {
        let subject = Self.subject(mutationID: mutationID, resource: resource, operation: operation, submitter: submitter)
        let tierText = tier.map { ", tier \($0)" } ?? ""
        let detail = notice.detail
        let text: String
        switch notice.kind {
        case .reviewOpened:
            text = "Review needed: \(subject)\(tierText) — \(detail ?? "approvals needed")"
        case .escalated:
            text = "Escalated: the review of \(subject) passed its deadline and now needs \(detail ?? "the next pool")"
        case .decided:
            let verdict = notice.status == .approved ? "Approved" : "Rejected"
            if detail == "invalid" {
                text = "Rejected: \(subject) does not conform to its resource's schema"
            } else {
                text = "\(verdict)\(detail.map { " \($0)" } ?? ""): \(subject)\(tierText)"
            }
        case .expired:
            text = "Expired: the review of \(subject) ran out of time"
        case .rolledBack:
            text = "Rolled back: \(subject) was undone"
        case .verificationFailed:
            text = "Verification failed: \(subject) does not read back as requested — \(detail ?? "mismatch")"
        case .reviewDueSoon, .superseded, .freezeChanged, .drift, .oversight:
            text = "\(notice.kind.rawValue): \(subject)"
        }
        return NotificationEvent(
            id: id, kind: notice.kind, time: time, text: text, mutationID: mutationID, submitter: submitter, actor: actor,
            resource: resource.isEmpty ? nil : resource, operation: operation, tier: tier, status: notice.status,
            reviewID: reviewID, detail: detail)
    }

    /// `update of crm.customer by agent-7 (mut_…)`.
    static func subject(mutationID: String, resource: String, operation: String?, submitter: String) -> String {
        let what = resource.isEmpty ? "mutation" : (operation.map { "\($0) of \(resource)" } ?? resource)
        return "\(what) by \(submitter) (\(mutationID))"
    }
}
