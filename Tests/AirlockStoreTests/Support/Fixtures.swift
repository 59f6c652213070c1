import AirlockCore
import AirlockStore
import Foundation

/// Small builders so that tests read as what they check.
enum Fixtures {
    static func mutation(_ id: String, actor: String = "agent-7", key: IdempotencyKey? = nil) -> NewMutation {
        NewMutation(
            id: id, resource: "payments.transfer", operation: "create", actorID: actor,
            document: #"{"changes":{"amount":120.0,"to_account":"acc-991"},"id":"\#(id)"}"#, idempotency: key)
    }

    static func submitted(_ actor: String = "agent-7") -> AuditEntry {
        AuditEntry(kind: .submitted, actor: actor, payload: #"{"input":"as submitted"}"#)
    }

    static func audit(_ kind: AuditKind, _ actor: String = "engine", policyVersion: String? = nil) -> AuditEntry {
        AuditEntry(kind: kind, actor: actor, payload: #"{"kind":"\#(kind.rawValue)"}"#, policyVersion: policyVersion)
    }

    static func review(_ id: String, of mutationID: String, pool: String = "finance", count: Int = 2, deadline: Date?)
        -> NewReview
    {
        NewReview(
            id: id, mutationID: mutationID, mode: .blocking, groups: [ApprovalGroup(pool: pool, count: count)],
            deadline: deadline)
    }

    static func vote(_ reviewID: String, by reviewer: String, _ decision: VoteDecision = .approve) -> NewVote {
        NewVote(
            reviewID: reviewID, reviewer: reviewer, decision: decision, note: "looks right", contentHash: "c0ffee",
            policyVersion: "pv-1", pool: "finance")
    }
}

extension Store {
    /// Creates a mutation as `received`.
    @discardableResult
    func create(_ id: String, actor: String = "agent-7", at time: Date) async throws -> StoreReceipt {
        var change = StoreChange(at: time)
        change.createMutation(Fixtures.mutation(id, actor: actor), audit: Fixtures.submitted(actor))
        return try await apply(change)
    }

    /// Moves a mutation.
    @discardableResult
    func move(
        _ id: String, _ from: MutationStatus, _ to: MutationStatus, at time: Date,
        setting update: MutationUpdate = MutationUpdate()
    ) async throws -> StoreReceipt {
        var change = StoreChange(at: time)
        change.transition(
            id, from: from, to: to, setting: update, audit: Fixtures.audit(AuditKind(rawValue: to.rawValue)))
        return try await apply(change)
    }

    /// Appends a plain audit record.
    @discardableResult
    func note(_ text: String, at time: Date) async throws -> StoreReceipt {
        var change = StoreChange(at: time)
        change.appendAudit(AuditEntry(kind: "note", actor: "test", payload: #"{"text":"\#(text)"}"#))
        return try await apply(change)
    }
}

/// The `StoreError` code a throwing call fails with, or `nil` if it succeeds or throws something else.
func storeErrorCode(_ body: () async throws -> Void) async -> StoreError.Code? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return nil
    }
}
