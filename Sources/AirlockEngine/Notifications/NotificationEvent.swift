import AirlockCore
import CEL
import Foundation

/// One webhook event: a `text` that reads well in a chat channel, and the structured fields beside
/// it. Its JSON body (``body``) is what every target receives, signed.
public struct NotificationEvent: Sendable {
    /// Unique; sent as `X-Airlock-Event-Id` so that a receiver can drop a redelivery.
    public var id: String
    public var kind: NotificationKind
    /// When it happened (the gateway's clock).
    public var time: Date
    /// One line for people.
    public var text: String
    /// The mutation it is about, if any.
    public var mutationID: String?
    /// Who submitted that mutation: their own target gets the event too.
    public var submitter: String?
    /// Who caused the event: a principal id, `policy` or `airlock`.
    public var actor: String?
    public var resource: String?
    public var operation: String?
    public var tier: String?
    /// The mutation's status the event speaks of.
    public var status: MutationStatus?
    public var reviewID: String?
    /// What happened, in a few words (a mismatch, the pools a review went to, a freeze's reason).
    public var detail: String?
    /// Further fields a feature adds (`freeze: true`, `superseded_by`, …), beside the others.
    public var extra: [String: Value]

    public init(
        id: String, kind: NotificationKind, time: Date, text: String, mutationID: String? = nil, submitter: String? = nil,
        actor: String? = nil, resource: String? = nil, operation: String? = nil, tier: String? = nil,
        status: MutationStatus? = nil, reviewID: String? = nil, detail: String? = nil, extra: [String: Value] = [:]
    ) {
        self.id = id
        self.kind = kind
        self.time = time
        self.text = text
        self.mutationID = mutationID
        self.submitter = submitter
        self.actor = actor
        self.resource = resource
        self.operation = operation
        self.tier = tier
        self.status = status
        self.reviewID = reviewID
        self.detail = detail
        self.extra = extra
    }

    /// The JSON body: `id`, `kind`, `time` (RFC 3339), `text`, then the fields that are set
    /// (`mutation_id`, `resource`, `operation`, `tier`, `status`, `submitter`, `actor`,
    /// `review_id`, `detail`, and the extra ones), keys sorted.
    public var body: String {
        var fields: [(String, Value)] = [
            ("id", .string(id)), ("kind", .string(kind.rawValue)), ("time", .string(RFC3339.format(Gateway.timestamp(time)))),
            ("text", .string(text)),
        ]
        let optional: [(String, String?)] = [
            ("mutation_id", mutationID), ("resource", resource), ("operation", operation), ("tier", tier),
            ("status", status?.rawValue), ("submitter", submitter), ("actor", actor), ("review_id", reviewID), ("detail", detail),
        ]
        for (key, value) in optional {
            if let value { fields.append((key, .string(value))) }
        }
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) where !fields.contains(where: { $0.0 == key }) {
            fields.append((key, value))
        }
        return CanonicalJSON.encode(.map(CELMap(fields.map { (.string($0.0), $0.1) })))
    }

    /// A sample of each kind for `airlock notify test`, marked `test: true`.
    public static func sample(_ kind: NotificationKind = .decided, id: String, at time: Date) -> NotificationEvent {
        NotificationEvent(
            id: id, kind: kind, time: time,
            text: "Test event from Airlock: if you can read this, the webhook works (\(kind.rawValue))",
            mutationID: "mut_test", submitter: "agent-7", actor: "policy", resource: "payments.transfer", operation: "create",
            tier: "low", status: .approved, detail: "sample", extra: ["test": .bool(true)])
    }
}
