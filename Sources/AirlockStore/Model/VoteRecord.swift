import Foundation

/// A reviewer's verdict.
public enum VoteDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case approve
    case reject
}

/// A vote to record. The store allows one vote per reviewer per mutation and refuses a vote by
/// the mutation's requester.
public struct NewVote: Sendable, Hashable {
    /// The open review voted on.
    public var reviewID: String
    /// The reviewer's principal id.
    public var reviewer: String
    /// Approve or reject.
    public var decision: VoteDecision
    /// The reviewer's note.
    public var note: String?
    /// The mutation's content hash the reviewer saw (``MutationRecord/contentHash``).
    public var contentHash: String
    /// The policy version the reviewer saw.
    public var policyVersion: String?
    /// The pool the vote counts for, when the engine knows it.
    public var pool: String?
    /// How many votes the review had when the engine settled it with this vote; the store refuses
    /// the vote (``StoreError/Code/votesChanged``) when it has a different number, so that a vote,
    /// the settling of the quorum and the mutation's move are one commit made from what was read.
    /// `nil`: no check.
    public var votesBefore: Int?
    /// How many times the review had been escalated when the vote was read: a vote read before
    /// an escalation (its pools changed) is refused (``StoreError/Code/votesChanged``).
    public var escalationsBefore: Int?

    /// A vote.
    public init(
        reviewID: String, reviewer: String, decision: VoteDecision, note: String? = nil, contentHash: String,
        policyVersion: String?, pool: String? = nil, votesBefore: Int? = nil, escalationsBefore: Int? = nil
    ) {
        self.votesBefore = votesBefore
        self.escalationsBefore = escalationsBefore
        self.reviewID = reviewID
        self.reviewer = reviewer
        self.decision = decision
        self.note = note
        self.contentHash = contentHash
        self.policyVersion = policyVersion
        self.pool = pool
    }
}

/// A vote as the store keeps it.
public struct VoteRecord: Sendable, Hashable {
    /// The review.
    public var reviewID: String
    /// The mutation.
    public var mutationID: String
    /// The reviewer's principal id.
    public var reviewer: String
    /// Approve or reject.
    public var decision: VoteDecision
    /// The reviewer's note.
    public var note: String?
    /// The content hash the reviewer saw.
    public var contentHash: String
    /// The policy version the reviewer saw.
    public var policyVersion: String?
    /// The pool the vote counts for.
    public var pool: String?
    /// When it was cast.
    public var at: Date
    /// The audit record written with it.
    public var auditSeq: Int64

    /// A vote as read from a store.
    public init(
        reviewID: String, mutationID: String, reviewer: String, decision: VoteDecision, note: String?,
        contentHash: String, policyVersion: String?, pool: String?, at: Date, auditSeq: Int64
    ) {
        self.reviewID = reviewID
        self.mutationID = mutationID
        self.reviewer = reviewer
        self.decision = decision
        self.note = note
        self.contentHash = contentHash
        self.policyVersion = policyVersion
        self.pool = pool
        self.at = at
        self.auditSeq = auditSeq
    }
}
