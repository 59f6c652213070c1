import AirlockCore
import Foundation

// `ApprovalGroup` (pool, count) is AirlockCore's: one type from policy decision to stored review.

// `ReviewMode` and `ReviewStatus` are AirlockCore's: the lifecycle reasons about them.

/// A review to open.
public struct NewReview: Sendable, Hashable {
    /// The review's id (chosen by the engine, unique).
    public var id: String
    /// The mutation under review.
    public var mutationID: String
    /// Blocking or parallel.
    public var mode: ReviewMode
    /// The approver groups; all must complete. Today's single `{pool, count}` is a list of one.
    public var groups: [ApprovalGroup]
    /// How many rejections close the review as rejected.
    public var rejectAfter: Int
    /// The SLA deadline, if any.
    public var deadline: Date?

    /// A review to open.
    public init(
        id: String, mutationID: String, mode: ReviewMode, groups: [ApprovalGroup], rejectAfter: Int = 1,
        deadline: Date?
    ) {
        self.id = id
        self.mutationID = mutationID
        self.mode = mode
        self.groups = groups
        self.rejectAfter = rejectAfter
        self.deadline = deadline
    }
}

/// A review as the store keeps it.
public struct ReviewRecord: Sendable, Hashable {
    /// The review's id.
    public var id: String
    /// The mutation under review.
    public var mutationID: String
    /// Blocking or parallel.
    public var mode: ReviewMode
    /// Where it stands.
    public var status: ReviewStatus
    /// The approver groups in force (after any escalation).
    public var groups: [ApprovalGroup]
    /// How many rejections close it as rejected.
    public var rejectAfter: Int
    /// The SLA deadline in force.
    public var deadline: Date?
    /// How many times it was escalated.
    public var escalations: Int
    /// When it was opened.
    public var openedAt: Date
    /// When it was closed.
    public var closedAt: Date?

    /// A review as read from a store.
    public init(
        id: String, mutationID: String, mode: ReviewMode, status: ReviewStatus, groups: [ApprovalGroup],
        rejectAfter: Int, deadline: Date?, escalations: Int, openedAt: Date, closedAt: Date?
    ) {
        self.id = id
        self.mutationID = mutationID
        self.mode = mode
        self.status = status
        self.groups = groups
        self.rejectAfter = rejectAfter
        self.deadline = deadline
        self.escalations = escalations
        self.openedAt = openedAt
        self.closedAt = closedAt
    }
}

extension ReviewRecord {
    /// Queue order: the earliest deadline first, then those without one; oldest first among equals.
    public static func inQueueOrder(_ a: ReviewRecord, _ b: ReviewRecord) -> Bool {
        switch (a.deadline, b.deadline) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.openedAt != b.openedAt ? a.openedAt < b.openedAt : a.id < b.id
        }
    }

    /// The first `limit` of several queues' heads (each in queue order), a review in several
    /// once.
    static func queue(merging heads: [[ReviewRecord]], limit: Int) -> [ReviewRecord] {
        var seen: Set<String> = []
        return heads.joined().filter { seen.insert($0.id).inserted }.sorted(by: inQueueOrder).prefix(limit).map { $0 }
    }
}

/// A mutation with its latest review and that review's votes, read together: what an event on
/// it is decided from and its view is built from.
public struct ReviewedMutation: Sendable, Hashable {
    public var record: MutationRecord
    /// Its latest review (the last of ``Store/reviews(mutationID:)``), if it ever had one.
    public var review: ReviewRecord?
    /// That review's votes, oldest first.
    public var votes: [VoteRecord]

    public init(record: MutationRecord, review: ReviewRecord?, votes: [VoteRecord]) {
        self.record = record
        self.review = review
        self.votes = votes
    }
}

/// One review of a reviewer's queue with what its view needs, read together.
public struct ReviewQueueEntry: Sendable, Hashable {
    public var review: ReviewRecord
    /// The mutation under review.
    public var mutation: MutationRecord
    /// The review's votes so far, oldest first.
    public var votes: [VoteRecord]

    public init(review: ReviewRecord, mutation: MutationRecord, votes: [VoteRecord]) {
        self.review = review
        self.mutation = mutation
        self.votes = votes
    }

    /// The entries of `reviews` (in their order) from the mutations and votes (oldest first) read
    /// with them.
    static func entries(_ reviews: [ReviewRecord], mutations: [MutationRecord], votes: [VoteRecord]) -> [ReviewQueueEntry] {
        let byID = Dictionary(mutations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let votesByReview = Dictionary(grouping: votes, by: \.reviewID)
        return reviews.compactMap { review in
            byID[review.mutationID].map {
                ReviewQueueEntry(review: review, mutation: $0, votes: votesByReview[review.id] ?? [])
            }
        }
    }
}
