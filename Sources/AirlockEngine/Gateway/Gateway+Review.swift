import AirlockCore
import AirlockStore
import CEL
import Foundation

extension Gateway {
    /// Records a reviewer's approval or rejection.
    ///
    /// Only reviewers in a pool the review needs may vote, never the mutation's submitter, once
    /// each. A blocking review (high tier) approves the mutation when every group has its count
    /// of distinct approvals, and rejects it at the first rejection; a parallel review (medium
    /// tier) closes the same way while the mutation has already gone ahead.
    public func vote(on id: String, approve: Bool, note: String?, by principal: Principal) async throws(GatewayError)
        -> MutationView
    {
        guard principal.has(.reviewer) else {
            throw .forbidden("'\(principal.id)' does not have the reviewer role, which voting needs")
        }
        do {
            guard let record = try await store.mutation(id: id) else { throw GatewayError.notFound("no mutation with id '\(id)'") }
            guard let review = try await store.reviews(mutationID: id).last, review.status == .open else {
                throw GatewayError.conflict("mutation \(id) is not awaiting review (status \(record.status.rawValue))")
            }
            // After the checks of the mutation itself: a rejection of an unknown id is a 404, of a
            // decided one a 409, whatever its note.
            if !approve, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw GatewayError(
                    .badRequest, title: "Note required", detail: "a rejection needs a note saying why",
                    errors: [("note", "required when rejecting")])
            }
            if record.actorID == principal.id {
                throw GatewayError.forbidden("'\(principal.id)' submitted mutation \(id) and cannot review it: separation of duties")
            }
            let eligible = review.groups.filter { principal.pools.contains($0.pool) }
            guard !eligible.isEmpty else {
                let pools = review.groups.map(\.pool).joined(separator: ", ")
                throw GatewayError.forbidden("'\(principal.id)' is not in the pool this review needs (\(pools))")
            }
            var votes = try await store.votes(reviewID: review.id)
            if votes.contains(where: { $0.reviewer == principal.id }) {
                throw GatewayError.conflict("'\(principal.id)' already voted on mutation \(id)")
            }
            // The pool the vote is recorded for: the first of the reviewer's that still needs
            // approvals. (Settling does not rely on it: approvers are matched to the groups by all
            // their pools, so concurrent votes that all name one pool still complete the others.)
            let group =
                eligible.first { group in
                    votes.filter { $0.decision == .approve && $0.pool == group.pool }.count < group.count
                } ?? eligible[0]
            let now = clock.now()
            var change = StoreChange(at: now)
            let payload = CanonicalJSON.encode(
                .map(CELMap([
                    (.string("decision"), .string(approve ? "approve" : "reject")), (.string("pool"), .string(group.pool)),
                    (.string("note"), note.map(Value.string) ?? .null), (.string("content_hash"), .string(record.contentHash)),
                ])))
            change.castVote(
                NewVote(
                    reviewID: review.id, reviewer: principal.id, decision: approve ? .approve : .reject, note: note,
                    contentHash: record.contentHash, policyVersion: record.policyVersion, pool: group.pool),
                audit: AuditEntry(kind: .voted, actor: principal.id, payload: payload, policyVersion: record.policyVersion))
            _ = try await store.apply(change)
            votes = try await store.votes(reviewID: review.id)
            try await settle(review, record: record, votes: votes, by: principal.id, at: now)
            notifier.announce(id)
            guard let updated = try await store.mutation(id: id) else { throw GatewayError.notFound("no mutation with id '\(id)'") }
            return try await view(of: updated)
        } catch let error as GatewayError {
            throw error
        } catch let error as StoreError {
            switch error.code {
            case .duplicateVote: throw .conflict("'\(principal.id)' already voted on mutation \(id)")
            case .requesterCannotVote:
                throw .forbidden("'\(principal.id)' submitted mutation \(id) and cannot review it: separation of duties")
            case .reviewNotOpen, .statusMismatch, .transitionNotAllowed:
                throw .conflict("mutation \(id) is not awaiting review: \(error.message)")
            default: throw .unavailable(error)
            }
        } catch {
            throw .unavailable(error)
        }
    }

    /// Closes the review when its votes decide it. Safe under concurrent votes: every voter
    /// re-reads the votes after its own is durable, so the last one sees them all; the store
    /// refuses the second closing.
    private func settle(_ review: ReviewRecord, record: MutationRecord, votes: [VoteRecord], by who: String, at now: Date)
        async throws
    {
        let rejections = votes.filter { $0.decision == .reject }.count
        // Each approver counts for one group of a pool they belong to (the pool their vote named,
        // or another of theirs), whichever way fills every group.
        let approvers = votes.filter { $0.decision == .approve }.map { vote in
            (principals.principal(id: vote.reviewer)?.pools ?? []).union(vote.pool.map { [$0] } ?? [])
        }
        let complete = ApprovalQuorum.isMet(review.groups, approvers: approvers)
        guard rejections >= max(1, review.rejectAfter) || complete else { return }
        let outcome: ReviewStatus = rejections >= max(1, review.rejectAfter) ? .rejected : .approved
        let payload = CanonicalJSON.encode(
            .map(CELMap([
                (.string("review"), .string(review.id)), (.string("outcome"), .string(outcome.rawValue)),
                (.string("approvals"), .int(Int64(votes.count - rejections))), (.string("rejections"), .int(Int64(rejections))),
            ])))
        var change = StoreChange(at: now)
        change.closeReview(
            review.id, as: outcome,
            audit: AuditEntry(kind: .reviewClosed, actor: who, payload: payload, policyVersion: record.policyVersion))
        var executing: Mutation?  // approved and moved on to executing in the same commit
        if review.mode == .blocking {
            change.transition(
                record.id, from: .pendingReview, to: outcome == .approved ? .approved : .rejected,
                audit: AuditEntry(
                    kind: outcome == .approved ? .approved : .rejected, actor: who, payload: payload,
                    policyVersion: record.policyVersion))
            if outcome == .approved, let mutation = Self.decidedMutation(of: record),
                beginExecution(&change, record.id, mutation, policyVersion: record.policyVersion)
            {
                executing = mutation
            }
        }
        do {
            _ = try await store.apply(change)
        } catch let error as StoreError where error.code == .reviewNotOpen || error.code == .statusMismatch {
            return  // a concurrent vote closed it first
        }
        if review.mode == .parallel, outcome == .rejected, let current = try await store.mutation(id: record.id),
            current.status == .executed, let executed = try await executedChange(of: record.id)
        {
            _ = await rollBack(
                record.id, executed, reason: "the parallel review was rejected", by: who, policyVersion: record.policyVersion)
        }
        if let mutation = executing {
            notifier.announce(record.id)
            await apply(record.id, mutation, policyVersion: record.policyVersion)
        }
        if review.mode == .blocking, outcome == .approved, let engine = try? policyEngine(),
            let mutation = Self.decidedMutation(of: record),
            let blob = recordSignal(
                mutation, actor: actors[record.actorID] ?? Actor(id: record.actorID, kind: .agent), pack: engine.pack, at: now)
        {
            var save = StoreChange(at: now)
            save.saveSignalState(blob, forKey: Self.signalStateKey)
            _ = try? await store.apply(save)
        }
    }
}
