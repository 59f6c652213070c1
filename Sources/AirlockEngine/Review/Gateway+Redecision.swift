import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging

extension Gateway {
    /// Decides every mutation under review again with the active policy, from what its first
    /// decision saw (its values, the `before` read at triage, its signals; the system state as it
    /// is now), and hands each the lifecycle's `redecided` event: a mutation the new version
    /// blocks is rejected (rolled back if it already ran), one it routes differently is re-routed,
    /// audited with both versions. Called when a policy version is activated.
    ///
    /// Reads every open review (an admin's rare act; the queue itself is read by index).
    ///
    /// - Returns: how many mutations the new version re-routed or refused.
    @discardableResult
    func redecideOpenReviews(by who: String) async throws(GatewayError) -> Int {
        let engine = try policyEngine()
        let reviews: [ReviewRecord]
        do {
            reviews = try await store.openReviews(deadlineBefore: nil)
        } catch {
            throw .unavailable(error)
        }
        var changed = 0
        for review in reviews {
            do {
                guard let record = try await store.mutation(id: review.mutationID), record.policyVersion != engine.pack.version,
                    let mutation = Self.decidedMutation(of: record)
                else { continue }
                let actor = actors[record.actorID] ?? Actor(id: record.actorID, kind: .agent)
                let now = clock.now()
                let decision = try engine.decide(
                    mutation: mutation, actor: actor, signals: Self.recordedSignals(of: record), system: system(at: now),
                    now: Self.timestamp(now))
                var context = EventContext(
                    actor: who, resource: record.resource, policyVersion: decision.policyVersion,
                    decision: CanonicalJSON.encode(decision.jsonValue))
                context.tier = decision.routedTier.rawValue
                let handled = try await handle(
                    .redecided(tier: decision.routedTier, approvals: decision.requirement, at: Self.timestamp(now)),
                    of: record.id, context: context)
                if !handled.step.moves.isEmpty || handled.step.effects.contains(where: Self.reroutes) { changed += 1 }
            } catch {
                // One mutation that cannot be decided again (its review closed meanwhile, its
                // document no longer validates) must not stop the others; it keeps its review.
                logger.warning(
                    "a mutation under review was not decided again under the new policy version",
                    metadata: ["mutation": "\(review.mutationID)", "version": "\(engine.pack.version)", "error": "\(error)"])
            }
        }
        return changed
    }

    /// The signals the mutation's first decision saw (neutral when they do not read back).
    static func recordedSignals(of record: MutationRecord) -> Signals {
        guard let text = record.decision, case .map(let map)? = try? Value(json: text), let signals = map["signals"],
            let read = try? Signals(jsonValue: signals)
        else { return .neutral }
        return read
    }

    private static func reroutes(_ effect: LifecycleEffect) -> Bool {
        switch effect {
        case .openReview, .closeReview: true
        default: false
        }
    }
}
