/// An event the lifecycle does not allow in the mutation's state, and why: a vote on a mutation
/// no longer awaiting review, a second vote, a rollback of an irreversible change, ….
public struct LifecycleRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal, for the engine to map to its errors.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The event does not apply in this status.
        case wrongStatus
        /// No review is open.
        case notAwaitingReview
        /// The voter submitted the mutation, or is accountable for whoever did (up its owner chain).
        case submitterCannotVote
        /// The voter is in none of the pools the review needs.
        case notInPool
        /// The voter already voted.
        case alreadyVoted
        /// The vote names content or a policy version other than the mutation's.
        case staleView
        /// A rollback of a change to an irreversible resource, not forced.
        case irreversible
        /// The caller reported an outcome of a mutation Airlock executes itself.
        case executedByAirlock
        /// A rollback of a change the caller made: Airlock has no record of what to undo.
        case executedByCaller
        /// A medium or high decision without any approver group.
        case noApprovers
        /// A deadline event for a review not yet due (it was escalated or has no SLA).
        case notDue
    }

    /// What kind of refusal.
    public var code: Code
    /// The status the mutation was in.
    public var status: MutationStatus
    /// The event refused.
    public var event: String
    /// What a person needs to know.
    public var message: String

    public init(_ code: Code, status: MutationStatus, event: String, message: String) {
        self.code = code
        self.status = status
        self.event = event
        self.message = message
    }

    public var description: String { message }
}
