import AirlockCore
import AirlockStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the notification outbox to its webhook targets.
///
/// One worker per target: it sends that target's due deliveries (at most the target's
/// `concurrency` at a time, each bounded by its `timeout`), then sleeps on the gateway's clock
/// until its next delivery is due or the doorbell says a new event was committed — no polling.
/// A target that hangs or stays down only delays its own deliveries.
///
/// A 2xx answer marks the delivery `delivered` in the store before anything else is sent to the
/// target, so nothing a target acknowledged is sent again (after a crash between the answer and
/// the mark, the redelivery carries the same `X-Airlock-Event-Id`). Any other outcome is retried
/// with capped exponential backoff until the target's `max_attempts` or `max_age`, then the
/// delivery is marked `failed`, logged (target, event, kind, mutation) and counted.
public struct WebhookDeliveryService: Service {
    let gateway: Gateway
    let sender: WebhookSender
    /// The wait after the first failed attempt; each later wait doubles…
    public var initialBackoff: TimeInterval
    /// …up to this.
    public var maximumBackoff: TimeInterval
    /// How long a worker waits after the store failed to answer before it asks again.
    public var storeRetry: TimeInterval = 5

    public init(gateway: Gateway, initialBackoff: TimeInterval = 5, maximumBackoff: TimeInterval = 900, sender: WebhookSender = WebhookSender()) {
        self.gateway = gateway
        self.sender = sender
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// The wait before the attempt after `attempts` failed ones: `initial · 2^(attempts − 1)`,
    /// at most the maximum.
    public func backoff(afterAttempts attempts: Int) -> TimeInterval {
        // The executors' capped exponential backoff, counted in deliveries.
        let policy = RetryPolicy(
            attempts: attempts + 1, initialDelay: .milliseconds(Int64(initialBackoff * 1000)),
            maximumDelay: .milliseconds(Int64(maximumBackoff * 1000)))
        return HTTPExecutor.interval(policy.delay(beforeAttempt: attempts + 1))
    }

    public func run() async throws {
        let stopping = StopFlag()
        let doorbell = gateway.notifications.doorbell
        await withGracefulShutdownHandler {
            var targets = gateway.notifications.allTargets
            do {
                // Deliveries left for a target that is no longer configured get a worker that gives them up.
                for url in try await gateway.store.pendingNotificationTargets() where targets[url] == nil {
                    targets[url] = WebhookTarget(url: url, secret: [])
                }
            } catch {
                gateway.logger.error("reading the notification outbox failed", metadata: ["error": "\(error)"])
            }
            let configured = Set(gateway.notifications.allTargets.keys)
            await withDiscardingTaskGroup { group in
                for target in targets.values {
                    group.addTask {
                        await work(for: target, configured: configured.contains(target.url), stopping: stopping)
                    }
                }
            }
            // With no target there is no worker: still run until shutdown, because a service that
            // returns early ends the whole service group.
            while !Task.isCancelled {
                let seen = doorbell.generation
                if stopping.isStopped { break }
                await doorbell.wait(after: seen, until: nil, clock: gateway.clock)
            }
        } onGracefulShutdown: {
            // The deliveries in flight finish (each bounded by its timeout); no new ones start.
            stopping.stop()
            doorbell.ring()
        }
    }

    /// Delivers one target's outbox until shutdown.
    private func work(for target: WebhookTarget, configured: Bool, stopping: StopFlag) async {
        let store = gateway.store
        let clock = gateway.clock
        let doorbell = gateway.notifications.doorbell
        while !Task.isCancelled {
            // The generation before the stop check: a shutdown's ring after it is not missed.
            let seen = doorbell.generation
            if stopping.isStopped { break }
            let next: Date?
            do {
                // Claimed for longer than one send takes: another instance leaves them alone meanwhile,
                // and if this one dies they are due again when the lease ends.
                let now = clock.now()
                let due = try await store.claimDueNotifications(
                    target: target.url, at: now, limit: target.concurrency, leaseUntil: now.addingTimeInterval(target.timeout * 2 + 30))
                if !due.isEmpty {
                    let allRecorded = await withTaskGroup(of: Bool.self) { group in
                        for delivery in due {
                            group.addTask { await deliver(delivery, to: target, configured: configured) }
                        }
                        return await group.reduce(true) { $0 && $1 }
                    }
                    if allRecorded { continue }
                    // An outcome that could not be recorded leaves its delivery claimed: it is sent
                    // again only when the claim's lease ends, not at once and again and again.
                    next = clock.now().addingTimeInterval(storeRetry)
                } else {
                    next = try await store.nextNotificationDue(target: target.url)
                }
            } catch {
                gateway.logger.error(
                    "reading the notification outbox failed", metadata: ["target": "\(target.redactedURL)", "error": "\(error)"])
                next = clock.now().addingTimeInterval(storeRetry)
            }
            await doorbell.wait(after: seen, until: next, clock: clock)
        }
    }

    /// Sends one delivery and records how it went.
    /// - Returns: whether the outcome was recorded (a delivery cut short by a shutdown counts as
    ///   recorded: nothing is to be done about it now).
    @discardableResult
    func deliver(_ delivery: NotificationDelivery, to target: WebhookTarget, configured: Bool) async -> Bool {
        let clock = gateway.clock
        let answer: WebhookSender.Answer
        if configured {
            answer = await sender.send(
                eventID: delivery.eventID, kind: delivery.kind, body: Array(delivery.body.utf8),
                timestamp: String(Int64(clock.now().timeIntervalSince1970.rounded(.down))), to: target)
            // Cut short by a shutdown: nothing is recorded, and the next start sends it again.
            if Task.isCancelled { return true }
        } else {
            answer = .unreachable("the target is no longer configured")
        }
        let now = clock.now()
        var change = StoreChange(at: now)
        var metadata: Logger.Metadata = [
            "target": "\(target.redactedURL)", "event": "\(delivery.eventID)", "kind": "\(delivery.kind)",
            "attempt": "\(delivery.attempts + 1)", "answer": "\(answer)",
        ]
        if let mutation = delivery.mutationID { metadata["mutation"] = "\(mutation)" }
        let attempts = delivery.attempts + 1
        enum Outcome { case delivered, retried, failed }
        let outcome: Outcome
        if answer.delivered {
            outcome = .delivered
            change.markNotificationDelivered(delivery.id)
        } else if !configured || attempts >= target.maxAttempts || now.timeIntervalSince(delivery.createdAt) >= target.maxAge {
            outcome = .failed
            change.failNotification(delivery.id, attempts: attempts, error: answer.description)
        } else {
            outcome = .retried
            change.rescheduleNotification(
                delivery.id, attempts: attempts, nextAttempt: now.addingTimeInterval(backoff(afterAttempts: attempts)),
                error: answer.description)
        }
        do {
            _ = try await gateway.store.apply(change)
        } catch {
            // Not recorded: the delivery stays due and is sent again (the receiver dedupes by event id).
            gateway.logger.error("recording a webhook delivery failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return false
        }
        switch outcome {
        case .delivered:
            gateway.notifications.count { $0.delivered += 1 }
        case .failed:
            gateway.notifications.count { $0.failed += 1 }
            gateway.metrics.webhookFailed(finally: true)
            gateway.logger.error("a webhook target stays down; the event is marked failed and not retried", metadata: metadata)
        case .retried:
            gateway.notifications.count { $0.retried += 1 }
            gateway.metrics.webhookFailed(finally: false)
            gateway.logger.warning("a webhook delivery failed; it will be retried", metadata: metadata)
        }
        return true
    }
}

/// Set once when a graceful shutdown begins.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isStopped: Bool { flag.load(ordering: .relaxed) }

    func stop() { flag.store(true, ordering: .relaxed) }
}
