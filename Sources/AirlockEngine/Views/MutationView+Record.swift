import AirlockCore
import AirlockStore
import CEL
import Foundation

/// What a view shows of a decision: its score, the rules that matched, the data classes, and —
/// for a submission that did not validate — the problems found.
struct DecisionSummary: Sendable {
    var score: Int?
    var reasons: [(rule: String, message: String)] = []
    var dataClasses: [String] = []
    var errors: [(path: String, message: String)] = []

    /// The summary of a decision just made.
    init(_ decision: Decision) {
        score = decision.score
        reasons = decision.reasons.filter { !$0.failed }.map { ($0.rule, $0.message) }
        dataClasses = decision.dataClasses
    }

    /// The summary of a stored decision.
    init(_ decision: RecordedDecision?) {
        guard let decision else { return }
        score = decision.score
        reasons = decision.matchedReasons
        dataClasses = decision.dataClasses
        errors = (decision.errors ?? []).map { ($0.path, $0.message) }
    }

    /// The summary of a submission that did not validate.
    init(problems: [(path: String, message: String)]) {
        errors = problems
    }
}

extension MutationView {
    /// The one place a view is built: from a mutation's record (stored, or just written), what
    /// its decision shows, its latest review and that review's votes. `document` is the record's
    /// document when the caller holds it parsed already.
    init(record: MutationRecord, decision: DecisionSummary, review: ReviewRecord?, votes: [VoteRecord], document: Value? = nil) {
        var approvals: Approvals?
        if let review {
            approvals = Approvals(
                required: review.groups.reduce(0) { $0 + $1.count }, pool: review.groups.first?.pool ?? "",
                groups: review.groups.map { group in
                    // The approvals recorded for this group's pool, as many as it needs.
                    let approved = votes.count { $0.decision == .approve && $0.pool == group.pool }
                    return (group.pool, group.count, min(approved, group.count))
                }, mode: review.mode.rawValue,
                state: review.status.rawValue, deadline: review.deadline,
                received: votes.filter { $0.decision == .approve }.map { Vote(reviewer: $0.reviewer, at: $0.at, note: $0.note) },
                rejections: votes.filter { $0.decision == .reject }.map { Vote(reviewer: $0.reviewer, at: $0.at, note: $0.note) })
        }
        var target: String?
        var targets: [String]?
        var changes: Value = .map(CELMap())
        if case .map(let map)? = document ?? (try? Value(json: record.document)) {
            if case .string(let t)? = map["target"] { target = t }
            if case .list(let list)? = map["targets"] {
                targets = list.compactMap { if case .string(let s) = $0 { s } else { nil } }
            }
            // An invalid submission is kept as sent; its view shows `changes` only when they are an object.
            if case .map(let given)? = map["changes"] { changes = .map(given) }
        }
        self.init(
            id: record.id, status: record.status, tier: record.tier, score: decision.score, reasons: decision.reasons,
            approvals: approvals, policyVersion: record.policyVersion, contentHash: record.contentHash, actor: record.actorID, resource: record.resource,
            operation: record.operation, target: target, targets: targets, changes: changes, dataClasses: decision.dataClasses,
            errors: decision.errors, createdAt: record.createdAt, updatedAt: record.updatedAt, revisionOf: record.revisionOf,
            supersededBy: record.supersededBy)
    }
}

extension Gateway {
    /// Builds the view of a stored mutation: its document, decision, review and votes.
    func view(of record: MutationRecord) async throws -> MutationView {
        let review = try await store.reviews(mutationID: record.id).last
        var votes: [VoteRecord] = []
        if let review { votes = try await store.votes(reviewID: review.id) }
        return MutationView(record: record, decision: DecisionSummary(RecordedDecision(record)), review: review, votes: votes)
    }
}
