import AirlockCore
import AirlockStore
import Foundation
import Logging

extension Gateway {
    /// Acts on every open review whose deadline has passed: each gets the lifecycle's
    /// `deadlinePassed` event (escalation, or the tier's `on_timeout`), recorded like any other
    /// step. Reviews are read through the store's deadline index, never scanned.
    ///
    /// Reviews are claimed a few at a time, just before they are handled
    /// (``Store/claimDueReviews(at:limit:leaseUntil:)``, held for ``deadlineClaimLease``
    /// seconds): instances sharing a database never take the same one. One whose handling failed
    /// is taken up again when its claim runs out. A review that a vote closed meanwhile refuses
    /// the event; that is not an error.
    ///
    /// - Returns: how many reviews were acted on.
    @discardableResult
    public func settleDueDeadlines() async throws -> Int {
        try await settleDueDeadlines(at: clock.now())
    }

    /// How long a claim on a passed deadline holds, in seconds: handling one is a store write (an
    /// escalation, or the tier's `on_timeout`, which may execute). One whose handling failed is
    /// taken up again when its claim runs out.
    static let deadlineClaimLease: TimeInterval = 20
    /// How long a claim on a mutation to reconcile holds, in seconds: asking its executor and
    /// finishing it may take a few executor timeouts.
    static let reconcileClaimLease: TimeInterval = 120
    /// How much work a claim takes at a time: claimed just before it is handled, so that a lease
    /// does not run out on work still waiting its turn.
    static let claimChunk = 16

    /// ``settleDueDeadlines()`` for the deadlines up to `now`.
    func settleDueDeadlines(at now: Date) async throws -> Int {
        var settled = 0
        while true {
            let claimed = try await store.claimDueReviews(
                at: now, limit: Self.claimChunk, leaseUntil: clock.now().addingTimeInterval(Self.deadlineClaimLease))
            if claimed.isEmpty { break }
            settled += await settle(claimed, at: now)
        }
        return settled
    }

    /// Hands each review its `deadlinePassed` event; returns how many took it.
    private func settle(_ reviews: [ReviewRecord], at now: Date) async -> Int {
        var settled = 0
        for review in reviews {
            do {
                try await handle(
                    .deadlinePassed(at: Self.timestamp(now)), of: review.mutationID, context: EventContext(actor: "airlock"))
                settled += 1
            } catch let error where error.kind == .conflict {
                logger.debug("a deadline needed nothing", metadata: ["mutation": "\(review.mutationID)", "why": "\(error.detail)"])
            } catch {
                logger.error(
                    "acting on a passed deadline failed; it is tried again when its claim runs out",
                    metadata: ["mutation": "\(review.mutationID)", "review": "\(review.id)", "error": "\(error)"])
            }
        }
        return settled
    }

    /// Runs the deadlines until the task is cancelled: settles those due, announces those near
    /// (``announceDueSoon(at:announced:)``), then sleeps until the earliest of the next deadline and
    /// the next announcement, or until a new deadline is set (``Gateway/deadlineAlarm``, a ``Doorbell``). Every wake time
    /// is later than the round that chose it, so the loop never spins. A store that cannot be read
    /// is tried again after `retryAfter` seconds; a passed deadline that could not be acted on,
    /// once its claim has run out (``deadlineClaimLease``).
    func runDeadlines(retryAfter: TimeInterval = 5) async {
        var announced: Set<String> = []
        while !Task.isCancelled {
            let generation = deadlineAlarm.generation
            var next: Date?
            do {
                // The time of this round, taken once: what it settles and where the next wake
                // is looked for after. A deadline that passes while it settles is later than
                // `now`, so it is the next wake (at once), not taken for one that failed to
                // settle and retried only `retryAfter` later.
                let now = clock.now()
                try await settleDueDeadlines(at: now)
                let announcement = try await announceDueSoon(at: now, announced: &announced)
                next = try await nextDeadlineWake(after: now, announcement: announcement, retryAfter: retryAfter)
            } catch {
                logger.warning("reading review deadlines failed", metadata: ["error": "\(error)"])
                next = clock.now().addingTimeInterval(retryAfter)
            }
            await deadlineAlarm.wait(after: generation, until: next, clock: clock)
        }
    }
}
