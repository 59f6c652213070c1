import AirlockCore
import AirlockStore
import Foundation
import Synchronization

/// The gateway's webhook notifications: which targets an event goes to, the outbox writes that
/// put it on its way, and the doorbell that wakes the delivery service after a commit.
///
/// An event is enqueued into the ``StoreChange`` of the step that causes it, so it is delivered
/// if and only if that step commits; ``WebhookDeliveryService`` delivers it afterwards, never
/// in the way of a decision. A feature that causes an event of its own (`superseded`,
/// `review_due_soon`, `freeze_changed`) builds a ``NotificationEvent``, calls
/// ``enqueue(_:into:)`` on the change it commits, and commits through ``Gateway/apply(_:)``
/// (which rings the doorbell).
public final class Notifications: Sendable {
    /// The configured targets (`notify:`).
    public let targets: [WebhookTarget]
    /// Each principal's own target, by principal id.
    let ownTargets: [String: WebhookTarget]
    let doorbell = Doorbell()
    private let tally = Mutex(DeliveryCounts())

    /// How deliveries went since start-up.
    public struct DeliveryCounts: Sendable, Hashable {
        /// Answered 2xx.
        public var delivered = 0
        /// Failed attempts that will be tried again.
        public var retried = 0
        /// Deliveries given up on (marked `failed` in the outbox).
        public var failed = 0
    }

    /// The targets of a configuration and its principals.
    public init(targets: [WebhookTarget] = [], principals: PrincipalDirectory = PrincipalDirectory()) {
        self.targets = targets
        var own: [String: WebhookTarget] = [:]
        for principal in principals.principals {
            if let target = principal.notify { own[principal.id] = target }
        }
        ownTargets = own
    }

    /// Every target a delivery may be addressed to, by URL; a configured target wins over a
    /// principal's with the same URL.
    public var allTargets: [String: WebhookTarget] {
        var all: [String: WebhookTarget] = [:]
        for target in ownTargets.values.sorted(by: { $0.url < $1.url }) { all[target.url] = target }
        for target in targets { all[target.url] = target }
        return all
    }

    /// Whether any target is configured (nothing is enqueued when none is).
    public var isEnabled: Bool { !targets.isEmpty || !ownTargets.isEmpty }

    /// The URLs an event goes to: the configured targets that accept its kind, and its
    /// submitter's own target when that accepts it; each once.
    public func recipients(of event: NotificationEvent) -> [String] {
        var urls = targets.filter { $0.accepts(event.kind) }.map(\.url)
        if let submitter = event.submitter, let own = ownTargets[submitter], own.accepts(event.kind), !urls.contains(own.url) {
            urls.append(own.url)
        }
        return urls
    }

    /// Puts the event in the outbox as part of `change`: one pending delivery per recipient.
    /// Nothing is written when no target wants it.
    public func enqueue(_ event: NotificationEvent, into change: inout StoreChange) {
        let urls = recipients(of: event)
        guard !urls.isEmpty else { return }
        change.enqueueNotification(
            NewNotification(id: event.id, kind: event.kind.rawValue, body: event.body, targets: urls, mutationID: event.mutationID))
    }

    /// Wakes the delivery service: call after committing a change that enqueued events.
    public func ring() {
        doorbell.ring()
    }

    /// How deliveries went since start-up.
    public var counts: DeliveryCounts { tally.withLock { $0 } }

    func count(_ update: (inout DeliveryCounts) -> Void) {
        tally.withLock { update(&$0) }
    }
}

extension StoreChange {
    /// Whether the change puts events in the outbox.
    var enqueuesNotifications: Bool {
        operations.contains { if case .enqueueNotification = $0 { true } else { false } }
    }
}
