import AirlockCore
import AirlockStore
import Foundation
import Logging

extension Gateway {
    /// Settles what a crash (or an older Airlock) left unfinished, once before serving:
    ///
    /// - every rollback left `rolling_back` is finished (a rollback checks the record first, so
    ///   one already done is recognised, not repeated);
    /// - every mutation left `executing` is asked about: applied ones become executed, ones not
    ///   applied are applied now, and ones the executor cannot judge yet stay as they are;
    /// - every open review whose votes already complete it (a crash between a vote and its
    ///   settling, by a version that did not make them one commit) is settled.
    ///
    /// With `idleFor`, only mutations unchanged for that many seconds are taken up (the periodic
    /// rounds of ``ReconciliationService``, which must not touch work in flight, and the start of
    /// an instance sharing its database with others, whose work in flight it cannot see). Open
    /// reviews are recounted when `recountReviews` (by default, when `idleFor` is 0).
    public func reconcile(idleFor: Double = 0, recountReviews: Bool? = nil) async throws {
        let cutoff = idleFor > 0 ? clock.now().addingTimeInterval(-idleFor) : .distantFuture
        // Claimed a few at a time, just before they are taken up, so that instances sharing a
        // database never take up the same mutation; an empty claim ends each loop (what could
        // not be finished stays claimed by this round until its lease runs out).
        func claim(_ status: MutationStatus) async throws -> [MutationRecord] {
            let now = clock.now()
            return try await store.claimStaleMutations(
                statuses: [status], updatedBefore: cutoff, at: now, limit: Self.claimChunk,
                leaseUntil: now.addingTimeInterval(Self.reconcileClaimLease))
        }
        while case let chunk = try await claim(.rollingBack), !chunk.isEmpty {
            for record in chunk {
                guard let executed = try await recordedChange(of: record.id) else {
                    logger.error("a rollback cannot be resumed: no record of the change", metadata: ["mutation": "\(record.id)"])
                    continue
                }
                let context = EventContext(actor: "airlock", policyVersion: record.policyVersion, note: "resumed after a restart")
                await undo(record.id, executed, cause: .requested(forced: false), attempt: record.rollbackAttempts, context: context)
            }
        }
        while case let chunk = try await claim(.executing), !chunk.isEmpty {
            for record in chunk {
                guard let mutation = Self.decidedMutation(of: record) else {
                    logger.error("an executing mutation cannot be read back", metadata: ["mutation": "\(record.id)"])
                    continue
                }
                let request = ExecutionRequest(mutationID: record.id, mutation: mutation)
                await settleUncertain(
                    record.id, request: request, failure: nil,
                    context: EventContext(actor: "airlock", policyVersion: record.policyVersion))
            }
        }
        guard recountReviews ?? (idleFor == 0) else { return }
        for review in try await store.openReviews(deadlineBefore: nil) {
            do {
                try await handle(.votesRecounted, of: review.mutationID, context: EventContext(actor: "airlock"))
            } catch {
                logger.warning("recounting an open review failed", metadata: ["mutation": "\(review.mutationID)", "error": "\(error)"])
            }
        }
    }
}
