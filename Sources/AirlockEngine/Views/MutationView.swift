import AirlockCore
import AirlockStore
import CEL
import Foundation

/// A mutation as the API shows it: `{id, status, tier, score, reasons, approvals,
/// policy_version, actor, resource, operation, target, changes, created_at, updated_at}` and a
/// few more fields (`targets`, `review`, `errors`, `data_classes`).
public struct MutationView: Sendable {
    public var id: String
    public var status: MutationStatus
    public var tier: String?
    public var score: Int?
    public var reasons: [(rule: String, message: String)]
    /// The approvals the mutation needs and has, when a review was opened.
    public var approvals: Approvals?
    public var policyVersion: String?
    /// The hash of the mutation's content: what a reviewer's vote names as seen.
    public var contentHash: String
    public var actor: String
    public var resource: String
    public var operation: String
    public var target: String?
    public var targets: [String]?
    public var changes: Value
    public var dataClasses: [String]
    public var errors: [(path: String, message: String)]
    public var createdAt: Date
    public var updatedAt: Date
    /// The mutation this one revises (a reviewer asked for changes to it).
    public var revisionOf: String?
    /// The revision that replaced this one.
    public var supersededBy: String?
    /// The changed fields whose values the reader is not cleared for: their values in
    /// ``changes`` are null (see ``masked(for:classes:)``).
    public var maskedFields: [String] = []

    /// What a review needs and has received.
    public struct Approvals: Sendable {
        /// Approvals required in all (the sum over groups).
        public var required: Int
        /// The pool of the first group (the common case of one group).
        public var pool: String
        /// Every group, for requirements spanning several pools, with the approvals counted for it
        /// so far.
        public var groups: [(pool: String, count: Int, approved: Int)]
        /// `blocking` (the mutation waits) or `parallel` (it ran; a rejection rolls it back).
        public var mode: String
        /// `open`, `approved`, `rejected`, `expired`, `unreviewed`, `cancelled`.
        public var state: String
        public var deadline: Date?
        public var received: [Vote]
        public var rejections: [Vote]
    }

    /// One reviewer's vote.
    public struct Vote: Sendable {
        public var reviewer: String
        public var at: Date
        public var note: String?
    }

    /// The JSON form.
    public var jsonValue: Value {
        var map = CELMap()
        map["id"] = .string(id)
        map["status"] = .string(status.rawValue)
        map["tier"] = tier.map(Value.string) ?? .null
        map["score"] = score.map { .int(Int64($0)) } ?? .null
        map["reasons"] = .list(
            reasons.map { .map(CELMap([(.string("rule"), .string($0.rule)), (.string("message"), .string($0.message))])) })
        map["approvals"] = approvals.map(Self.json) ?? .null
        map["policy_version"] = policyVersion.map(Value.string) ?? .null
        map["content_hash"] = .string(contentHash)
        map["actor"] = .string(actor)
        map["resource"] = .string(resource)
        map["operation"] = .string(operation)
        map["target"] = target.map(Value.string) ?? .null
        if let targets { map["targets"] = .list(targets.map(Value.string)) }
        map["changes"] = changes
        map["data_classes"] = .list(dataClasses.map(Value.string))
        if !errors.isEmpty {
            map["errors"] = .list(
                errors.map { .map(CELMap([(.string("path"), .string($0.path)), (.string("message"), .string($0.message))])) })
        }
        if let revisionOf { map["revision_of"] = .string(revisionOf) }
        if let supersededBy { map["superseded_by"] = .string(supersededBy) }
        if !maskedFields.isEmpty { map["masked_fields"] = .list(maskedFields.map(Value.string)) }
        map["created_at"] = .string(Self.format(createdAt))
        map["updated_at"] = .string(Self.format(updatedAt))
        return .map(map)
    }

    private static func json(_ approvals: Approvals) -> Value {
        var map = CELMap()
        map["required"] = .int(Int64(approvals.required))
        map["pool"] = .string(approvals.pool)
        map["groups"] = .list(
            approvals.groups.map { group in
                .map(CELMap([
                    (.string("pool"), .string(group.pool)), (.string("count"), .int(Int64(group.count))),
                    (.string("approved"), .int(Int64(group.approved))),
                ]))
            })
        map["mode"] = .string(approvals.mode)
        map["state"] = .string(approvals.state)
        map["deadline"] = approvals.deadline.map { .string(format($0)) } ?? .null
        map["received"] = .list(approvals.received.map(json))
        map["rejections"] = .list(approvals.rejections.map(json))
        return .map(map)
    }

    private static func json(_ vote: Vote) -> Value {
        var map = CELMap()
        map["reviewer"] = .string(vote.reviewer)
        map["at"] = .string(format(vote.at))
        map["note"] = vote.note.map(Value.string) ?? .null
        return .map(map)
    }

    /// RFC 3339 with milliseconds, UTC.
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        return RFC3339.format(Timestamp(seconds: seconds, nanos: Int32((millis - seconds * 1000) * 1_000_000)))
    }
}
