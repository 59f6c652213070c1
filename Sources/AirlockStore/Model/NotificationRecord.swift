import Foundation

/// An event to deliver to webhook targets: written to the outbox in the same change as the step
/// that caused it, so that it is delivered if and only if that step was committed.
///
/// The event is kept once, with one delivery per target: each target has its own attempts and
/// schedule, so a target that is down neither delays nor repeats another's deliveries.
public struct NewNotification: Sendable, Hashable {
    /// The event's id, unique (sent as `X-Airlock-Event-Id`, so a receiver can drop a repeat).
    public var id: String
    /// The event's kind (`decided`, …).
    public var kind: String
    /// The JSON body every target receives.
    public var body: String
    /// The targets to deliver to (their URLs), each once; at least one.
    public var targets: [String]
    /// The mutation the event is about, if any.
    public var mutationID: String?

    public init(id: String, kind: String, body: String, targets: [String], mutationID: String? = nil) {
        self.id = id
        self.kind = kind
        self.body = body
        self.targets = targets
        self.mutationID = mutationID
    }
}

/// One event's delivery to one target, as the outbox keeps it.
public struct NotificationDelivery: Sendable, Hashable {
    /// Where a delivery stands.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Not yet answered 2xx; tried at ``NotificationDelivery/nextAttemptAt``.
        case pending
        /// The target answered 2xx: never sent again.
        case delivered
        /// Given up on: too many attempts, too old, or the target is no longer configured.
        case failed
    }

    /// The delivery's id in the outbox.
    public var id: Int64
    /// The event's id.
    public var eventID: String
    /// The event's kind.
    public var kind: String
    /// The JSON body.
    public var body: String
    /// The mutation the event is about, if any.
    public var mutationID: String?
    /// The target's URL.
    public var target: String
    public var status: Status
    /// Attempts made so far.
    public var attempts: Int
    /// When the next attempt is due (pending deliveries).
    public var nextAttemptAt: Date
    /// Why the last attempt did not succeed, if it did not.
    public var lastError: String?
    /// When the event was written.
    public var createdAt: Date
    /// When the delivery last changed.
    public var updatedAt: Date

    public init(
        id: Int64, eventID: String, kind: String, body: String, mutationID: String?, target: String, status: Status,
        attempts: Int, nextAttemptAt: Date, lastError: String?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.eventID = eventID
        self.kind = kind
        self.body = body
        self.mutationID = mutationID
        self.target = target
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
