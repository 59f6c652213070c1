import AirlockCore
import AirlockStore
import CEL
import Foundation

/// A mutation as read from the store for one event: its record, latest review and that review's
/// votes, and the ``LifecycleState`` the lifecycle decides from.
struct MutationSnapshot: Sendable {
    var record: MutationRecord
    var review: ReviewRecord?
    var votes: [VoteRecord]
    var decision: RecordedDecision?
    var state: LifecycleState
}

extension Gateway {
    /// Reads a mutation's snapshot; `nil` when there is no such mutation.
    func snapshot(of id: String) async throws -> MutationSnapshot? {
        guard let read = try await store.reviewedMutation(id: id) else { return nil }
        let (record, review, votes) = (read.record, read.review, read.votes)
        let decision = RecordedDecision(record)
        var state = LifecycleState(
            status: record.status, submitter: record.actorID, executor: executesItself(record.resource) ? .airlock : .caller,
            reversible: decision?.reversible ?? true, rollbackAttempts: record.rollbackAttempts,
            contentHash: record.contentHash, policyVersion: record.policyVersion)
        state.owners = principals.ownerChain(of: record.actorID)
        state.reviser = record.revisedBy
        if let review {
            let pools = Set(review.groups.map(\.pool))
            let routed = decision?.routed
            state.review = ReviewState(
                mode: review.mode, status: review.status, groups: review.groups, rejectAfter: review.rejectAfter,
                escalateTo: routed?.escalateTo, onTimeout: routed?.onTimeout ?? OnTimeout.defaultAction(for: review.mode),
                escalations: review.escalations,
                ballots: votes.map { vote in
                    // A voter counts for the pools it belongs to now, and the pool its vote named.
                    let known = principals.principal(id: vote.reviewer)?.pools ?? []
                    return Ballot(
                        reviewer: vote.reviewer, approve: vote.decision == .approve,
                        pools: known.union(vote.pool.map { [$0] } ?? []).intersection(pools))
                },
                deadline: review.deadline.map(Gateway.timestamp), slaSeconds: routed?.slaSeconds)
        }
        return MutationSnapshot(record: record, review: review, votes: votes, decision: decision, state: state)
    }

    /// The mutation as its decision saw it: the submitted document with the `before` values read
    /// at triage.
    static func decidedMutation(of record: MutationRecord) -> Mutation? {
        guard let document = try? Value(json: record.document), var mutation = try? Mutation(jsonValue: document) else {
            return nil
        }
        if let text = record.beforeValues, case .map(let before)? = try? Value(json: text) {
            mutation.before = before
        }
        return mutation
    }
}
