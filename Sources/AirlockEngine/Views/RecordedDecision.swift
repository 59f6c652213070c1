import AirlockCore
import AirlockStore
import Foundation

/// The parts of a stored decision the engine reads back — the view's reasons and classes, the
/// review's timeout settings, whether the resource is reversible — decoded as a type from the
/// decision's canonical JSON (the same text the `decided` audit record carries).
struct RecordedDecision: Decodable, Sendable {
    struct Reason: Decodable, Sendable {
        var rule: String
        var message: String
        var failed: Bool?
    }

    struct Data: Decodable, Sendable {
        var classes: [String]?
        var reversible: Bool?
    }

    struct Approvals: Decodable, Sendable {
        var escalateTo: String?
        var onTimeout: OnTimeout?
        var slaSeconds: Int?
        var groups: [ApprovalGroup]?

        enum CodingKeys: String, CodingKey {
            case groups
            case escalateTo = "escalate_to"
            case onTimeout = "on_timeout"
            case slaSeconds = "sla_seconds"
        }
    }

    /// What routing asked of reviewers: ``requirement`` when the decision has one, else
    /// ``approvals``.
    var routed: Approvals? { requirement ?? approvals }

    struct Problem: Decodable, Sendable {
        var path: String
        var message: String
    }

    var score: Int?
    var reasons: [Reason]?
    var data: Data?
    var approvals: Approvals?
    /// What routing asked of reviewers, when it differs from ``approvals``.
    var requirement: Approvals?
    /// For a submission that did not validate: what was wrong, where.
    var errors: [Problem]?

    /// The decision of a record; `nil` when it has none (or it does not decode: then the view
    /// shows no reasons rather than failing).
    init?(_ record: MutationRecord) {
        guard let text = record.decision,
            let decoded = try? JSONDecoder().decode(RecordedDecision.self, from: Foundation.Data(text.utf8))
        else { return nil }
        self = decoded
    }

    var reversible: Bool { data?.reversible ?? true }
    var dataClasses: [String] { data?.classes ?? [] }
    /// The rules that matched, with their messages (rules that failed to evaluate are left out).
    var matchedReasons: [(rule: String, message: String)] {
        (reasons ?? []).filter { $0.failed != true }.map { ($0.rule, $0.message) }
    }
}
