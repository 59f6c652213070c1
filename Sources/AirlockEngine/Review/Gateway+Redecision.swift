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
    func redecideOpenReviews(by who: String) async -> Int {
        let reviews: [ReviewRecord]
        do {
            reviews = try await store.openReviews(deadlineBefore: nil)
        } catch {
            logger.error(
                "the mutations under review were not decided again under the new policy version; each will be when it is next voted on",
                metadata: ["error": "\(error)"])
            return 0
        }
        var changed = 0
        for review in reviews {
            do {
                if try await redecideIfStale(review.mutationID, by: who) { changed += 1 }
            } catch {
                // One that cannot be decided again now keeps its review; a vote on it tries again
                // first (``redecideIfStale(_:by:)``), so no approval under the old version counts.
                logger.warning(
                    "a mutation under review was not decided again under the new policy version",
                    metadata: ["mutation": "\(review.mutationID)", "error": "\(error)"])
            }
        }
        return changed
    }

    /// Decides a mutation under review again when it stands decided under another policy version
    /// than the active one (an activation whose scan has not reached it, a restart with a new
    /// pack, a crash in the middle of the scan). Votes and requested changes call it first, so no
    /// approval under the old version counts.
    ///
    /// A mutation the new version finds invalid is treated as blocked: nothing it would refuse
    /// today runs. When the routing is what the old version's was, the review stands as it is
    /// (votes and escalation included) and only the decision is replaced.
    ///
    /// - Returns: whether the review was re-routed or the mutation moved.
    @discardableResult
    func redecideIfStale(_ id: String, by who: String) async throws(GatewayError) -> Bool {
        let engine = try policyEngine()
        let record: MutationRecord
        do {
            guard let read = try await store.mutation(id: id) else { throw GatewayError.notFound("no mutation with id '\(id)'") }
            record = read
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
        guard record.policyVersion != engine.pack.version, [.pendingReview, .approved, .executing, .executed].contains(record.status)
        else { return false }
        guard let mutation = Self.decidedMutation(of: record) else {
            throw .conflict("mutation \(id): its stored document does not read back, so it cannot be decided again")
        }
        let now = clock.now()
        let time = Self.timestamp(now)
        let actor = actors[record.actorID] ?? Actor(id: record.actorID, kind: .agent)
        var context = EventContext(actor: who, resource: record.resource, policyVersion: engine.pack.version)
        let event: LifecycleEvent
        do throws(ValidationFailure) {
            let decision = try engine.decide(
                mutation: mutation, actor: actor, signals: Self.recordedSignals(of: record), system: system(at: now), now: time)
            context.decision = CanonicalJSON.encode(decision.jsonValue)
            context.tier = decision.routedTier.rawValue
            let before = RecordedDecision(record)
            let unchanged =
                record.tier == decision.routedTier.rawValue
                && Set(before?.routed?.groups ?? []) == Set(decision.requirement?.groups ?? [])
            if unchanged, let review = try? await store.reviews(mutationID: id).last, review.status == .open {
                // The routing stands: the review as it is (an escalated one keeps its pool).
                let standing = ApprovalRequirement(groups: review.groups)
                event = .redecided(tier: decision.routedTier, approvals: standing, at: time)
            } else {
                event = .redecided(tier: decision.routedTier, approvals: decision.requirement, at: time)
            }
        } catch {
            let problems = error.issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
            context.decision = CanonicalJSON.encode(
                .map(CELMap([(.string("invalid_under_new_version"), .string(problems))])))
            context.tier = Tier.block.rawValue
            event = .redecided(tier: .block, approvals: nil, at: time)
        }
        let handled = try await handle(event, of: id, context: context)
        return !handled.step.moves.isEmpty || handled.step.effects.contains(where: Self.reroutes)
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
