import AirlockCore
import Foundation

/// A set of writes the store applies atomically: all of them and their audit records in one
/// transaction, or none of them.
///
/// Build one per logical step of the engine, e.g. for a high-tier submission:
///
/// ```swift
/// var change = StoreChange(at: now)
/// change.createMutation(mutation, audit: AuditEntry(kind: .submitted, actor: actor.id, payload: input))
/// change.transition(mutation.id, from: .received, to: .pendingReview,
///                   setting: MutationUpdate(tier: "high", policyVersion: version, decision: decisionJSON),
///                   audit: AuditEntry(kind: .decided, actor: "policy", payload: decisionJSON, policyVersion: version))
/// change.openReview(review, audit: AuditEntry(kind: .reviewOpened, actor: "policy", payload: reviewJSON))
/// let receipt = try await store.apply(change)
/// ```
///
/// Every operation that changes state takes the ``AuditEntry`` that records it; operations on a
/// mutation fill in the entry's `mutationID`.
public struct StoreChange: Sendable {
    /// One write. Public so that every ``Store`` implementation can apply it.
    public enum Operation: Sendable, Hashable {
        /// Insert a mutation as `received`, and reserve its idempotency key.
        case createMutation(NewMutation, AuditEntry)
        /// Refuse the whole change (``StoreError/Code/statusMismatch``) unless the mutation is still
        /// at the revision it was read at, and count the change as one more revision: two steps
        /// decided from one read cannot both commit.
        case expectRevision(mutationID: String, revision: Int)
        /// Move a mutation from the expected status to another, setting some fields.
        case transition(mutationID: String, from: MutationStatus, to: MutationStatus, MutationUpdate, AuditEntry)
        /// Open a review.
        /// Replace a mutation's decision (tier, policy version, decision) while it is in `status`.
        case recordDecision(mutationID: String, status: MutationStatus, MutationUpdate, AuditEntry)
        case openReview(NewReview, AuditEntry)
        /// Move an open review to other groups and a new deadline.
        case escalateReview(reviewID: String, groups: [ApprovalGroup], deadline: Date?, fromEscalations: Int?, AuditEntry)
        /// Close an open review.
        case closeReview(reviewID: String, status: ReviewStatus, AuditEntry)
        /// Record a vote on an open review.
        case castVote(NewVote, AuditEntry)
        /// Remember a policy version (no-op when the same hash and text are already known).
        case recordPolicyVersion(NewPolicyVersion)
        /// Make a known policy version the active one.
        case activatePolicyVersion(hash: String, activatedBy: String, AuditEntry)
        /// Replace the signal state kept under a key.
        case saveSignalState(key: String, blob: Data)
        /// Reserve an idempotency key.
        case rememberIdempotencyKey(IdempotencyKey, mutationID: String?)
        /// Drop idempotency keys first used before a time.
        case forgetIdempotencyKeys(before: Date)
        /// Append an audit record that goes with no other write.
        case appendAudit(AuditEntry)
        /// Keep (or replace) the change an executor applied for a mutation.
        case recordExecutedChange(mutationID: String, change: String)
        /// Set the freeze (replacing the one before), with the audit record of who and why.
        case setFreeze(FreezeRecord, AuditEntry)
        /// Put an event in the notification outbox, one pending delivery per target, due at once.
        case enqueueNotification(NewNotification)
        /// Mark a pending delivery delivered (its target answered 2xx).
        case markNotificationDelivered(deliveryID: Int64)
        /// Count a failed attempt of a pending delivery and set when the next one is due.
        case rescheduleNotification(deliveryID: Int64, attempts: Int, nextAttempt: Date, error: String)
        /// Give up on a pending delivery.
        case failNotification(deliveryID: Int64, attempts: Int, error: String)
        /// Start (a setting) or stop (`nil`) running a candidate policy in shadow.
        case setShadow(ShadowSetting?, AuditEntry)
        /// Keep how the shadow candidate decided a mutation.
        case recordShadowResult(ShadowResult)
        /// Add counts to the per-hour distributions.
        case addDistributionCounts([DistributionCount])
    }

    /// The time of the change: stored as the mutation's `updated_at`, the vote's time, and so on.
    /// (Audit records take their time from the store's clock when they enter the log.)
    public var time: Date
    /// The writes, in order.
    public private(set) var operations: [Operation] = []

    /// An empty change at a time given by the caller's clock.
    public init(at time: Date) {
        self.time = time
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { operations.isEmpty }

    /// Makes the whole change conditional on the mutation being at `revision` still (as it was
    /// read): checked before any other write of the change, which then counts as one more
    /// revision. The lifecycle's steps carry one, so that of two steps decided from the same read
    /// (an execution finishing and a vote landing meanwhile) the second is refused and decided
    /// again from a fresh read.
    public mutating func expectRevision(_ mutationID: String, _ revision: Int) {
        operations.insert(.expectRevision(mutationID: mutationID, revision: revision), at: 0)
    }

    /// Inserts a mutation as `received`; refused when the id or its idempotency key exists.
    public mutating func createMutation(_ mutation: NewMutation, audit: AuditEntry) {
        operations.append(.createMutation(mutation, audit))
    }

    /// Moves a mutation from `from` to `to`, setting `update`'s fields. Refused when the lifecycle
    /// does not allow the move, or when the mutation is not in `from` now.
    public mutating func transition(
        _ mutationID: String, from: MutationStatus, to: MutationStatus, setting update: MutationUpdate = .init(),
        audit: AuditEntry
    ) {
        operations.append(.transition(mutationID: mutationID, from: from, to: to, update, audit))
    }

    /// Opens a review; refused when the mutation is unknown or already has an open review.
    /// Replaces the decision of a mutation that is (still) in `status`: a newly activated policy
    /// version decided it again. Refused (``StoreError/Code/statusMismatch``) when it moved.
    public mutating func recordDecision(
        _ mutationID: String, in status: MutationStatus, setting update: MutationUpdate, audit: AuditEntry
    ) {
        operations.append(.recordDecision(mutationID: mutationID, status: status, update, audit))
    }

    public mutating func openReview(_ review: NewReview, audit: AuditEntry) {
        operations.append(.openReview(review, audit))
    }

    /// Moves an open review to other approver groups and a new deadline; refused when it is closed.
    /// Hands an open review to other groups with a new deadline. With `fromEscalations`, refused
    /// (``StoreError/Code/votesChanged``, a race) when the review was escalated meanwhile, so two
    /// writers acting on one deadline escalate it once.
    public mutating func escalateReview(
        _ reviewID: String, to groups: [ApprovalGroup], deadline: Date?, fromEscalations: Int? = nil, audit: AuditEntry
    ) {
        operations.append(
            .escalateReview(reviewID: reviewID, groups: groups, deadline: deadline, fromEscalations: fromEscalations, audit))
    }

    /// Closes an open review with an outcome; refused when it is already closed.
    public mutating func closeReview(_ reviewID: String, as status: ReviewStatus, audit: AuditEntry) {
        operations.append(.closeReview(reviewID: reviewID, status: status, audit))
    }

    /// Records a vote; refused when the review is closed, the reviewer already voted on the
    /// mutation, or the reviewer is the mutation's requester.
    public mutating func castVote(_ vote: NewVote, audit: AuditEntry) {
        operations.append(.castVote(vote, audit))
    }

    /// Remembers a policy version; refused when the hash is known with a different text.
    public mutating func recordPolicyVersion(_ version: NewPolicyVersion) {
        operations.append(.recordPolicyVersion(version))
    }

    /// Makes a remembered policy version the active one (and no other).
    public mutating func activatePolicyVersion(hash: String, by principal: String, audit: AuditEntry) {
        operations.append(.activatePolicyVersion(hash: hash, activatedBy: principal, audit))
    }

    /// Replaces the signal state under `key` with an opaque blob the engine serialises.
    public mutating func saveSignalState(_ blob: Data, forKey key: String) {
        operations.append(.saveSignalState(key: key, blob: blob))
    }

    /// Reserves an idempotency key; refused (``StoreError/Code/idempotencyConflict``) when it exists.
    public mutating func rememberIdempotencyKey(_ key: IdempotencyKey, mutationID: String? = nil) {
        operations.append(.rememberIdempotencyKey(key, mutationID: mutationID))
    }

    /// Drops idempotency keys first used before `time`.
    public mutating func forgetIdempotencyKeys(before time: Date) {
        operations.append(.forgetIdempotencyKeys(before: time))
    }

    /// Keeps the change an executor applied for a mutation (canonical JSON in the executor's
    /// form), replacing an earlier one; refused when the mutation is unknown.
    public mutating func recordExecutedChange(_ change: String, forMutation mutationID: String) {
        operations.append(.recordExecutedChange(mutationID: mutationID, change: change))
    }

    /// Sets the freeze rules read as `system.freeze`, replacing the one before; `freeze.since` is
    /// stored as given (the caller's clock).
    public mutating func setFreeze(_ freeze: FreezeRecord, audit: AuditEntry) {
        operations.append(.setFreeze(freeze, audit))
    }

    /// Puts an event in the notification outbox: one pending delivery per target, due at the
    /// change's time. Written with the step that caused it, it is delivered only if that step
    /// commits. Refused when the id exists or there is no target.
    public mutating func enqueueNotification(_ notification: NewNotification) {
        operations.append(.enqueueNotification(notification))
    }

    /// Marks a pending delivery delivered; refused (``StoreError/Code/notFound``) when it is not
    /// pending, so that a delivery is marked once.
    public mutating func markNotificationDelivered(_ deliveryID: Int64) {
        operations.append(.markNotificationDelivered(deliveryID: deliveryID))
    }

    /// Records a failed attempt of a pending delivery (`attempts` in all so far, the error) and
    /// when to try again; refused when it is not pending.
    public mutating func rescheduleNotification(_ deliveryID: Int64, attempts: Int, nextAttempt: Date, error: String) {
        operations.append(.rescheduleNotification(deliveryID: deliveryID, attempts: attempts, nextAttempt: nextAttempt, error: error))
    }

    /// Gives up on a pending delivery (`attempts` in all, the last error); refused when it is not
    /// pending.
    public mutating func failNotification(_ deliveryID: Int64, attempts: Int, error: String) {
        operations.append(.failNotification(deliveryID: deliveryID, attempts: attempts, error: error))
    }

    /// Starts running `shadow`'s candidate in shadow (replacing any other), or stops (`nil`).
    public mutating func setShadow(_ shadow: ShadowSetting?, audit: AuditEntry) {
        operations.append(.setShadow(shadow, audit))
    }

    /// Keeps how the shadow candidate decided a mutation (one result per mutation: a later one
    /// replaces it).
    public mutating func recordShadowResult(_ result: ShadowResult) {
        operations.append(.recordShadowResult(result))
    }

    /// Adds `counts` to the per-hour distributions (summing with what is there).
    public mutating func addDistributionCounts(_ counts: [DistributionCount]) {
        operations.append(.addDistributionCounts(counts))
    }

    /// Appends an audit record on its own (`escalated` notes, `principal_changed`, …).
    public mutating func appendAudit(_ entry: AuditEntry) {
        operations.append(.appendAudit(entry))
    }
}
