/// What an audit record is about. An extensible string: the names below are the ones Airlock
/// writes today, and a later kind needs no change to the store or to verifiers.
public struct AuditKind: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// A mutation was accepted (status `received`).
    public static let submitted: AuditKind = "submitted"
    /// Policy decided a tier, score and route, on the inputs in the payload.
    public static let decided: AuditKind = "decided"
    /// A review was opened (blocking for `high`, in parallel for `medium`).
    public static let reviewOpened: AuditKind = "review_opened"
    /// A reviewer voted; the payload says which way.
    public static let voted: AuditKind = "voted"
    /// The mutation was approved.
    public static let approved: AuditKind = "approved"
    /// The mutation was rejected.
    public static let rejected: AuditKind = "rejected"
    /// A review's SLA passed and it moved to the next pool.
    public static let escalated: AuditKind = "escalated"
    /// A reviewer asked for changes: the mutation was superseded by a revision (the payload names
    /// it, who asked, why, and the field diff).
    public static let superseded: AuditKind = "superseded"
    /// A newly activated policy version decided a mutation under review again (the payload names
    /// both versions and the new tier).
    public static let redecided: AuditKind = "redecided"
    /// A review timed out and the mutation expired.
    public static let expired: AuditKind = "expired"
    /// A review was closed (its outcome in the payload).
    public static let reviewClosed: AuditKind = "review_closed"
    /// Handed to the executor (write-ahead).
    public static let executing: AuditKind = "executing"
    /// Applied and verified.
    public static let executed: AuditKind = "executed"
    /// Execution, verification or rollback failed.
    public static let failed: AuditKind = "failed"
    /// A rollback started.
    public static let rollingBack: AuditKind = "rolling_back"
    /// A rollback completed.
    public static let rolledBack: AuditKind = "rolled_back"
    /// A policy version became the active one.
    public static let policyActivated: AuditKind = "policy_activated"
    /// A candidate policy version started running in shadow (the payload names it).
    public static let shadowStarted: AuditKind = "shadow_started"
    /// The shadow candidate was stopped.
    public static let shadowStopped: AuditKind = "shadow_stopped"
    /// A drift check found a distribution moved past its threshold (the payload says what moved).
    public static let drift: AuditKind = "drift"
    /// Reviewers show signs of no longer looking (the payload names the pool or reviewer).
    public static let oversight: AuditKind = "oversight"
    /// A principal (agent, service, reviewer) was added, changed or removed.
    public static let principalChanged: AuditKind = "principal_changed"
    /// An admin froze or thawed the gateway (`system.freeze`); the payload says which and why.
    public static let freezeChanged: AuditKind = "freeze_changed"
}
