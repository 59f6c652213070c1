import AirlockCore
import AirlockStore
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
    public func vote(on id: String, approve: Bool, note: String?, seen: Seen? = nil, by principal: Principal)
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
        try await handle(
            .voteCast(reviewer: principal.id, approve: approve, pools: principal.pools, seen: seen), of: id,
            context: EventContext(actor: principal.id, note: note))
        guard let updated = try await view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
        return updated
    }
}
