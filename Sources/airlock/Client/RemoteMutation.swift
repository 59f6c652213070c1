import CEL
import Foundation

/// A mutation as the server shows it (`GET /v1/mutations/{id}`), read from its JSON for the
/// tables. Fields the server leaves out read as empty.
struct RemoteMutation: Sendable {
    var id: String
    var status: String
    var tier: String?
    var score: Int?
    var reasons: [(rule: String, message: String)]
    var approvals: Approvals?
    var policyVersion: String?
    /// Hex SHA-256 of the submitted document: what a vote names as seen.
    var contentHash: String?
    var actor: String
    var resource: String
    var operation: String
    var target: String?
    var targets: [String]
    var changes: Value
    var dataClasses: [String]
    var errors: [(path: String, message: String)]
    var createdAt: String
    var updatedAt: String

    /// The review a mutation needs and what it has received.
    struct Approvals: Sendable {
        var required: Int
        var pool: String
        var groups: [(pool: String, count: Int)]
        var mode: String
        var state: String
        var deadline: String?
        var received: [Vote]
        var rejections: [Vote]
    }

    /// One reviewer's vote.
    struct Vote: Sendable {
        var reviewer: String
        var at: String
        var note: String?
    }

    /// The statuses a mutation never leaves.
    static let finalStatuses: Set<String> = ["executed", "failed", "rejected", "expired", "rolled_back"]

    /// Whether the mutation has reached the end of its lifecycle.
    var isFinal: Bool { Self.finalStatuses.contains(status) }

    /// Whether the mutation is waiting on something that will move it on (reviewers, an
    /// executor), so following it with `status --wait` is worth it.
    var isInMotion: Bool { ["received", "pending_review", "executing", "rolling_back"].contains(status) }

    /// Reads a mutation view; `nil` when the JSON has no id or status.
    init?(json: Value) {
        guard let id = json[field: "id"].stringValue, let status = json[field: "status"].stringValue else { return nil }
        self.id = id
        self.status = status
        tier = json[field: "tier"].stringValue
        score = json[field: "score"].intValue
        reasons = json[field: "reasons"].listValue.map {
            ($0[field: "rule"].stringValue ?? "", $0[field: "message"].stringValue ?? "")
        }
        let approvals = json[field: "approvals"]
        if case .map = approvals {
            self.approvals = Approvals(
                required: approvals[field: "required"].intValue ?? 0,
                pool: approvals[field: "pool"].stringValue ?? "",
                groups: approvals[field: "groups"].listValue.map {
                    ($0[field: "pool"].stringValue ?? "", $0[field: "count"].intValue ?? 0)
                },
                mode: approvals[field: "mode"].stringValue ?? "",
                state: approvals[field: "state"].stringValue ?? "",
                deadline: approvals[field: "deadline"].stringValue,
                received: approvals[field: "received"].listValue.map(Self.vote),
                rejections: approvals[field: "rejections"].listValue.map(Self.vote))
        }
        policyVersion = json[field: "policy_version"].stringValue
        contentHash = json[field: "content_hash"].stringValue
        actor = json[field: "actor"].stringValue ?? ""
        resource = json[field: "resource"].stringValue ?? ""
        operation = json[field: "operation"].stringValue ?? ""
        target = json[field: "target"].stringValue
        targets = json[field: "targets"].stringList
        changes = json[field: "changes"]
        dataClasses = json[field: "data_classes"].stringList
        errors = json[field: "errors"].listValue.map {
            ($0[field: "path"].stringValue ?? "", $0[field: "message"].stringValue ?? "")
        }
        createdAt = json[field: "created_at"].stringValue ?? ""
        updatedAt = json[field: "updated_at"].stringValue ?? ""
    }

    private static func vote(_ json: Value) -> Vote {
        Vote(
            reviewer: json[field: "reviewer"].stringValue ?? "", at: json[field: "at"].stringValue ?? "",
            note: json[field: "note"].stringValue)
    }
}
