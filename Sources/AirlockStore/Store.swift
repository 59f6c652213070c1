import AirlockCore
import Crypto
import Foundation

/// Everything the engine keeps: mutations and their transitions, reviews and votes, policy
/// versions, signal state, idempotency keys, and the tamper-evident audit log.
///
/// Writes go through ``apply(_:)``: a ``StoreChange`` and the audit records of its operations are
/// written in one transaction, and `apply` returns only once that transaction is durable. The
/// store itself refuses what the mutation lifecycle does not allow (``MutationStatus/successors``)
/// and what does not match the caller's expectation (``StoreError/Code/statusMismatch``), so that
/// a racing or repeated call cannot approve a rejected mutation or execute one twice.
///
/// Implementations: ``SQLiteStore`` (the embedded default) and ``PostgresStore`` (several
/// instances on one PostgreSQL database). Every implementation must pass the store conformance
/// suite in `Tests/AirlockStoreTests/Conformance`, which runs each test against each.
public protocol Store: Sendable {
    // MARK: Writing

    /// Applies a change atomically and durably, and returns the audit records it appended.
    ///
    /// - Throws: ``StoreError`` when an operation is refused; then nothing of the change is written.
    func apply(_ change: StoreChange) async throws -> StoreReceipt

    // MARK: Mutations

    /// The mutation with this id, if any.
    func mutation(id: String) async throws -> MutationRecord?
    /// Mutations matching a query, oldest first.
    func mutations(_ query: MutationQuery) async throws -> [MutationRecord]
    /// How many mutations are in each status (statuses with none are absent).
    func mutationCounts() async throws -> [MutationStatus: Int]
    /// A mutation's transitions, oldest first.
    func transitions(mutationID: String) async throws -> [TransitionRecord]
    /// The change an executor applied for the mutation, if any.
    func executedChange(mutationID: String) async throws -> ExecutedChangeRecord?

    // MARK: Reviews and votes

    /// The review with this id, if any.
    func review(id: String) async throws -> ReviewRecord?
    /// A mutation's reviews, oldest first (of two opened in the same instant, the closed one first).
    func reviews(mutationID: String) async throws -> [ReviewRecord]
    /// Open reviews, earliest deadline first; with `deadlineBefore`, only those due by then (what
    /// the SLA timer asks).
    func openReviews(deadlineBefore: Date?) async throws -> [ReviewRecord]
    /// The head of a reviewer's queue: open reviews with a group of one of `pools`, of a mutation
    /// none of `excludingActors` submitted, on which `reviewer` has not voted; earliest deadline
    /// first, then those without one, oldest first; at most `limit`. Read by walking the open
    /// reviews in that order through an index, so that a queue among a million open reviews is
    /// read without scanning them all. Each comes with its mutation and votes, read with it.
    func reviewQueue(pools: [String], reviewer: String, excludingActors: [String], limit: Int) async throws
        -> [ReviewQueueEntry]
    /// Claims open reviews whose deadline is at or before `time` and that no claim holds (none
    /// was made, or it ran out by `time`), earliest deadline first, at most `limit`: each is held
    /// until `leaseUntil` in the same statement, so that two instances acting on passed deadlines
    /// never take the same review (on PostgreSQL, `FOR UPDATE SKIP LOCKED`). If the claimer
    /// dies, the review is free again then.
    func claimDueReviews(at time: Date, limit: Int, leaseUntil: Date) async throws -> [ReviewRecord]
    /// Claims mutations in one of `statuses` unchanged since `updatedBefore` that no claim holds
    /// at `time`, oldest first, at most `limit`, holding them until `leaseUntil`: the work a
    /// reconciliation round takes up, never taken by two instances at once.
    func claimStaleMutations(
        statuses: [MutationStatus], updatedBefore: Date, at time: Date, limit: Int, leaseUntil: Date
    ) async throws -> [MutationRecord]
    /// The earliest deadline of an open review, if any has one (an index lookup, not a scan):
    /// when the deadline service must next wake.
    func nextReviewDeadline() async throws -> Date?
    /// The earliest deadline of an open review that is later than `date` (an index lookup): when
    /// the deadline service must next wake to tell reviewers a deadline is near.
    func nextReviewDeadline(after date: Date) async throws -> Date?
    /// A review's votes, oldest first.
    func votes(reviewID: String) async throws -> [VoteRecord]
    /// A mutation with its latest review and that review's votes (``reviews(mutationID:)``'s
    /// last, ``votes(reviewID:)``), `nil` when there is no such mutation. On SQLite one read
    /// transaction, so the three agree; what a vote reads twice (to decide, and for its answer).
    func reviewedMutation(id: String) async throws -> ReviewedMutation?

    // MARK: Policy versions

    /// The active policy version, if any.
    func activePolicyVersion() async throws -> PolicyVersionRecord?
    /// The policy version with this hash, if known.
    func policyVersion(hash: String) async throws -> PolicyVersionRecord?
    /// Every known policy version, oldest first.
    func policyVersions() async throws -> [PolicyVersionRecord]

    // MARK: System state

    /// The freeze an admin last set, if any was ever set.
    func freeze() async throws -> FreezeRecord?
    /// How many reviews are open (blocking and parallel).
    func openReviewCount() async throws -> Int
    /// How many mutations moved from `from` to `to` at or after `since`, per bucket of
    /// `bucketSeconds` (buckets aligned on the epoch; empty ones absent), oldest first. Read
    /// through an index on the move and its time, not by scanning the history.
    func moveCounts(from: MutationStatus, to: MutationStatus, since: Date, bucketSeconds: Int) async throws -> [MoveCount]
    /// How many mutations were created at each tier at or after `since`, per bucket of
    /// `bucketSeconds` (aligned on the epoch; empty ones absent), oldest first; a mutation that
    /// never reached a decision counts under tier `nil`. Read through the index on creation time.
    func tierCounts(since: Date, bucketSeconds: Int) async throws -> [TierCount]
    /// The reviews opened at or after `since`, oldest first (through an index on the opening time).
    func reviews(openedSince since: Date) async throws -> [ReviewRecord]

    // MARK: The learning loop

    /// The candidate running in shadow, if any.
    func shadowPolicy() async throws -> ShadowSetting?
    /// The shadow results at or after `since` (all when `nil`), of one candidate version or of
    /// all, oldest first (results of the same time in the order they were written).
    func shadowResults(version: String?, since: Date?) async throws -> [ShadowResult]
    /// The per-hour distribution counts of the hours starting in `start ..< end`.
    func distributionCounts(from start: Date, to end: Date) async throws -> [DistributionCount]
    /// The votes cast at or after `since`, oldest first.
    func votes(castSince since: Date) async throws -> [VoteRecord]

    // MARK: Signal state and idempotency keys

    /// The signal state blob kept under `key`, if any.
    func signalState(key: String) async throws -> Data?
    /// The idempotency key's record, if the key is known in this scope.
    func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord?

    // MARK: The notification outbox

    /// Pending deliveries to `target` due by `time`, earliest first, at most `limit`.
    func dueNotifications(target: String, at time: Date, limit: Int) async throws -> [NotificationDelivery]
    /// Claims pending deliveries to `target` due by `time`, earliest first, at most `limit`: each
    /// is moved to be due at `leaseUntil` in the same statement, so that another instance (or a
    /// second claim) does not take it while it is being sent; if the claimer dies, it is due
    /// again then. Returns them as they were before the claim.
    func claimDueNotifications(target: String, at time: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationDelivery]
    /// When the earliest pending delivery to `target` is due, if there is one.
    func nextNotificationDue(target: String) async throws -> Date?
    /// Every target with a pending delivery.
    func pendingNotificationTargets() async throws -> Set<String>
    /// An event's deliveries, one per target.
    func notificationDeliveries(eventID: String) async throws -> [NotificationDelivery]
    /// Deliveries of events about a mutation, oldest first.
    func notificationDeliveries(mutationID: String) async throws -> [NotificationDelivery]

    // MARK: The audit log

    /// The end of the log: size, last hash, root, latest checkpoint.
    func auditHead() async throws -> AuditHead
    /// Up to `limit` records with `seq > after`, in order.
    func auditRecords(after seq: Int64, limit: Int) async throws -> [AuditRecord]
    /// A mutation's records, in order.
    func auditRecords(mutationID: String) async throws -> [AuditRecord]
    /// The first sequence number whose time is at or after `time`, if any.
    func firstAuditSeq(atOrAfter time: Date) async throws -> Int64?
    /// Every signed checkpoint, smallest tree first.
    func auditCheckpoints() async throws -> [AuditCheckpoint]
    /// Checks the whole log: the chain, the Merkle tree, and every checkpoint's signature under
    /// `publicKey`. Problems are reported, not thrown.
    func verifyAudit(publicKey: AuditPublicKey) async throws -> AuditVerificationReport
    /// A proof that record `seq` is in the tree signed by the latest checkpoint.
    ///
    /// - Throws: ``StoreError/Code/noCheckpoint`` when no checkpoint covers `seq` yet.
    func inclusionProof(seq: Int64) async throws -> AuditInclusionProof
    /// Signs a checkpoint if one is due by time (the configured interval) and records were added
    /// since the last; what a periodic timer calls. Returns it, or `nil` when none was due.
    func checkpointIfDue() async throws -> AuditCheckpoint?
    /// Signs a checkpoint over the whole log now (unless the latest one already covers it).
    func signCheckpoint() async throws -> AuditCheckpoint?

    // MARK: Other writers

    /// What other processes writing to the same database commit, as they commit: how the
    /// instances sharing a PostgreSQL database wake each other's long polls and pick up a policy
    /// activated or a freeze set through another. `nil` when the store has no other writers to
    /// follow (SQLite: one server writes). Each call starts a new feed.
    func changeFeed() -> AsyncStream<StoreNotice>?
    /// Replaces the signal state blob under `key` with what `merge` makes of the stored one (nil
    /// when there is none), read and written in one write transaction so that instances merging
    /// at once each see the other's result; returns what was written.
    func mergeSignalState(key: String, at time: Date, _ merge: @Sendable (Data?) throws -> Data) async throws -> Data
    /// Whether other processes may be writing to the same database right now (several instances
    /// on PostgreSQL): work that looks unfinished may be in flight elsewhere.
    var isShared: Bool { get }

    // MARK: Lifecycle

    /// Finishes pending writes and releases the database.
    func close() async throws
}

/// A change committed to the store, as ``Store/changeFeed()`` tells it.
public enum StoreNotice: Sendable, Hashable {
    /// The mutation, its reviews or votes changed.
    case mutation(String)
    /// A setting every instance holds changed: the active policy, the freeze, the shadow policy.
    case settings
    /// Notices may have been missed (the feed's connection was lost and is back): re-read
    /// everything held.
    case resync
}

extension Store {
    public func changeFeed() -> AsyncStream<StoreNotice>? { nil }
    public var isShared: Bool { false }

    /// Three reads.
    public func reviewedMutation(id: String) async throws -> ReviewedMutation? {
        guard let record = try await mutation(id: id) else { return nil }
        let review = try await reviews(mutationID: id).last
        var votes: [VoteRecord] = []
        if let review { votes = try await self.votes(reviewID: review.id) }
        return ReviewedMutation(record: record, review: review, votes: votes)
    }

    /// Read, merged and saved in two steps: for a store with one writer.
    public func mergeSignalState(key: String, at time: Date, _ merge: @Sendable (Data?) throws -> Data) async throws -> Data {
        let merged = try merge(try await signalState(key: key))
        var change = StoreChange(at: time)
        change.saveSignalState(merged, forKey: key)
        _ = try await apply(change)
        return merged
    }

    /// ``verifyAudit(publicKey:)`` with swift-crypto's key type.
    public func verifyAudit(publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerificationReport {
        try await verifyAudit(publicKey: AuditPublicKey(publicKey))
    }
}
