import AirlockCore
import AirlockStore
import CEL
import Foundation

extension Gateway {
    /// Records a reviewer's approval or rejection, and what it settles, in one commit.
    ///
    /// Only reviewers in a pool the review needs may vote, never the mutation's submitter, once
    /// each (the lifecycle's rules). The vote, the closing of a review it completes and the
    /// mutation's move (approved and on to executing, rejected, or rolling back) are one
    /// transaction made from the votes read: a vote that lands meanwhile makes the store refuse
    /// it, and it is settled again from a fresh read — so no crash and no race leaves a complete
    /// review open.
    ///
    /// `seen` binds the vote to what the reviewer was shown: a content hash or policy version
    /// other than the mutation's makes it a 409, so an approval is never used for other values.
    ///
    /// A refusal never tells a reviewer more than it may read: a vote on a mutation it may not
    /// read (not of its pools) is a 403, not the 409 that would name the mutation's status.
    public func vote(on id: String, approve: Bool, note: String?, seen: Seen? = nil, by principal: Principal)
        async throws(GatewayError) -> MutationView
    {
        do {
            return try await castVote(on: id, approve: approve, note: note, seen: seen, by: principal)
        } catch where error.kind == .conflict {
            // (Only on the refusal path: a vote that counts is by a reviewer of the mutation's pools.)
            if let view = try? await view(of: id), !mayRead(view, principal) {
                throw .forbidden(
                    "'\(principal.id)' may not read mutation \(id): it is neither its submitter, an admin, an auditor nor a "
                        + "reviewer of its pools")
            }
            throw error
        }
    }

    private func castVote(on id: String, approve: Bool, note: String?, seen: Seen?, by principal: Principal)
        async throws(GatewayError) -> MutationView
    {
        guard principal.has(.reviewer) else {
            throw .forbidden("'\(principal.id)' does not have the reviewer role, which voting needs")
        }
        if !approve, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            // A rejection of an unknown id is a 404, of a decided one a 409, whatever its note.
            let snapshot: MutationSnapshot?
            do { snapshot = try await self.snapshot(of: id) } catch { throw .unavailable(error) }
            guard let snapshot else { throw .notFound("no mutation with id '\(id)'") }
            guard snapshot.state.review?.status == .open else {
                throw .conflict("mutation \(id) is not awaiting review (status \(snapshot.record.status.rawValue))")
            }
            throw GatewayError(
                .badRequest, title: "Note required", detail: "a rejection needs a note saying why",
                errors: [("note", "required when rejecting")])
        }
        var seen = seen
        if let shown = seen?.contentHash, shown.hasPrefix(Self.seenTokenPrefix) {
            // A reader with masked fields was shown a token of the hash, not the hash (which would
            // let it guess the hidden values): the token stands for the hash it was made from.
            let record: MutationRecord?
            do { record = try await store.mutation(id: id) } catch { throw .unavailable(error) }
            if let record, shown == seenToken(record.contentHash) { seen?.contentHash = record.contentHash }
        }
        let handled = try await handle(
            .voteCast(reviewer: principal.id, approve: approve, pools: principal.pools, seen: seen), of: id,
            context: EventContext(actor: principal.id, note: note))
        for effect in handled.step.effects {
            switch effect {
            case .recordVote(let pool): metrics.voted(pool: pool, approve: approve)
            case .closeReview(let status) where status == .approved || status == .rejected:
                // How long people took: from the review's opening to the vote that decided it.
                if let review = handled.snapshot.review {
                    metrics.humanDecided(seconds: clock.now().timeIntervalSince(review.openedAt))
                }
            default: break
            }
        }
        guard let updated = try await view(of: id, decidedAs: handled.snapshot) else {
            throw .notFound("no mutation with id '\(id)'")
        }
        return masked(updated, for: principal)
    }
}

extension Gateway {
    /// A reviewer of the review's pools asks for changes: the edited values become a revision
    /// (the same resource, operation and target, `changes` replaced) submitted in the mutation's
    /// submitter's name through the whole pipeline, so an edit never bypasses policy. In the same
    /// commit the old mutation ends `superseded`, linked both ways, with the field diff audited.
    ///
    /// - Parameters:
    ///   - changes: the changes the revision proposes, whole (a field left out is dropped).
    ///   - note: why, for the submitter; required.
    /// - Returns: the revision as decided.
    /// - Throws: ``GatewayError``: `.badRequest`, `.forbidden` (not a reviewer of its pools, or
    ///   accountable for its submitter), `.conflict` (no blocking review open, or the mutation
    ///   moved meanwhile), `.invalidMutation` (the revision does not validate: nothing changes).
    public func requestChanges(on id: String, changes: Value, note: String, by principal: Principal)
        async throws(GatewayError) -> Submission
    {
        guard principal.has(.reviewer) else {
            throw .forbidden("'\(principal.id)' does not have the reviewer role, which asking for changes needs")
        }
        // A reviewer who may not see some of the values may not rewrite them either (the revision
        // is the whole set of changes).
        let shown = try await view(of: id, for: principal)
        guard shown.maskedFields.isEmpty else {
            throw .forbidden(
                "'\(principal.id)' is not cleared for \(shown.maskedFields.sorted().joined(separator: ", ")) of \(id), so it may not ask for changes to it; a reviewer cleared for them may")
        }
        guard case .map(let edited) = changes else {
            throw GatewayError(
                .badRequest, title: "Bad request", detail: "changes must be an object of the revised field values",
                errors: [("changes", "must be an object")])
        }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GatewayError(
                .badRequest, title: "Note required", detail: "asking for changes needs a note saying why",
                errors: [("note", "required")])
        }
        try await redecideIfStale(id, by: "policy")
        let snapshot: MutationSnapshot
        do {
            guard let read = try await self.snapshot(of: id) else { throw GatewayError.notFound("no mutation with id '\(id)'") }
            snapshot = read
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
        let step: LifecycleStep
        do {
            step = try Lifecycle.handle(.changesRequested(reviewer: principal.id, pools: principal.pools), in: snapshot.state)
        } catch {
            throw Self.refused(error, id: id)
        }
        guard let submitter = principals.principal(id: snapshot.record.actorID) else {
            throw .conflict("mutation \(id): its submitter '\(snapshot.record.actorID)' is no longer a principal; reject it instead")
        }
        guard case .map(var document)? = try? Value(json: snapshot.record.document) else {
            throw .conflict("mutation \(id): its stored document does not read back")
        }
        let before: CELMap = if case .map(let map)? = document["changes"] { map } else { CELMap() }
        let diff = Self.diff(from: before, to: edited)
        if case .map(let fields) = diff, fields.count == 0 {
            throw .conflict("mutation \(id): the changes asked for are the mutation's own; nothing would be revised")
        }
        document["changes"] = .map(edited)
        var context = EventContext(
            actor: principal.id, resource: snapshot.record.resource, policyVersion: snapshot.record.policyVersion, note: note)
        context.contentHash = snapshot.record.contentHash
        context.revision = ("", diff)
        return try await submit(
            .map(document), by: submitter, idempotencyKey: nil,
            superseding: Supersession(snapshot: snapshot, step: step, context: context))
    }

    /// `{field: {from, to}}` for every field whose value differs (a field absent on one side is
    /// null there), in the order of the old changes then the new fields.
    static func diff(from old: CELMap, to new: CELMap) -> Value {
        var result = CELMap()
        var keys = old.keys
        for key in new.keys where !keys.contains(key) { keys.append(key) }
        for key in keys {
            let was = old[key] ?? .null
            let now = new[key] ?? .null
            guard CanonicalJSON.encode(was) != CanonicalJSON.encode(now) else { continue }
            result[key] = .map(CELMap([(.string("from"), was), (.string("to"), now)]))
        }
        return .map(result)
    }
}
