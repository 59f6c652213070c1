import AirlockCore
import AirlockStore
import Foundation
import Synchronization

/// A store that forwards to another and keeps every change applied, so that a test can see which
/// writes went together in one commit.
final class RecordingStore: Store {
    let inner: any Store
    private let applied = Mutex<[StoreChange]>([])
    private let systemReadCount = Mutex(0)

    init(_ inner: any Store) { self.inner = inner }

    /// The changes applied so far, oldest first.
    var changes: [StoreChange] { applied.withLock { $0 } }

    /// How many times the reads behind `system.*` (the freeze, the open reviews, the move
    /// counts) were called.
    var systemReads: Int { systemReadCount.withLock { $0 } }

    /// Forgets the changes recorded so far.
    func reset() { applied.withLock { $0 = [] } }

    /// The commits that moved a mutation to `status`.
    func commits(moving id: String, to status: MutationStatus) -> [StoreChange] {
        changes.filter { change in
            change.operations.contains { operation in
                if case .transition(id, _, status, _, _) = operation { return true }
                return false
            }
        }
    }

    /// While set, a change it says yes to is refused as if the disk had failed.
    private let refusing = Mutex<(@Sendable (StoreChange) -> Bool)?>(nil)

    /// Refuses the changes `rule` picks (nil: none), as a failing disk would.
    func refuse(_ rule: (@Sendable (StoreChange) -> Bool)?) { refusing.withLock { $0 = rule } }

    struct Refused: Error {}

    /// Called after each change is committed, before its caller goes on: the moment at which a
    /// test lets time pass or the world change behind the engine's back.
    private let afterCommit = Mutex<(@Sendable (StoreChange) -> Void)?>(nil)

    /// Runs `hook` after every commit (nil: none).
    func afterEachCommit(_ hook: (@Sendable (StoreChange) -> Void)?) { afterCommit.withLock { $0 = hook } }

    /// Awaited before each change is forwarded: a test holds a commit back with it.
    private let beforeCommit = Mutex<(@Sendable (StoreChange) async -> Void)?>(nil)

    /// Runs `hook` before each change is forwarded (nil: none).
    func beforeEachCommit(_ hook: (@Sendable (StoreChange) async -> Void)?) { beforeCommit.withLock { $0 = hook } }

    func apply(_ change: StoreChange) async throws -> StoreReceipt {
        if let hook = beforeCommit.withLock({ $0 }) { await hook(change) }
        if let rule = refusing.withLock({ $0 }), rule(change) { throw Refused() }
        let receipt = try await inner.apply(change)
        applied.withLock { $0.append(change) }
        afterCommit.withLock { $0 }?(change)
        return receipt
    }

    func mutation(id: String) async throws -> MutationRecord? { try await inner.mutation(id: id) }
    func mutations(_ query: MutationQuery) async throws -> [MutationRecord] { try await inner.mutations(query) }
    func mutationCounts() async throws -> [MutationStatus: Int] { try await inner.mutationCounts() }
    func transitions(mutationID: String) async throws -> [TransitionRecord] { try await inner.transitions(mutationID: mutationID) }
    func executedChange(mutationID: String) async throws -> ExecutedChangeRecord? {
        try await inner.executedChange(mutationID: mutationID)
    }
    func dueNotifications(target: String, at time: Date, limit: Int) async throws -> [NotificationDelivery] {
        try await inner.dueNotifications(target: target, at: time, limit: limit)
    }
    func claimDueNotifications(target: String, at time: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationDelivery] {
        try await inner.claimDueNotifications(target: target, at: time, limit: limit, leaseUntil: leaseUntil)
    }
    func nextNotificationDue(target: String) async throws -> Date? { try await inner.nextNotificationDue(target: target) }
    func pendingNotificationTargets() async throws -> Set<String> { try await inner.pendingNotificationTargets() }
    func notificationDeliveries(eventID: String) async throws -> [NotificationDelivery] {
        try await inner.notificationDeliveries(eventID: eventID)
    }
    func notificationDeliveries(mutationID: String) async throws -> [NotificationDelivery] {
        try await inner.notificationDeliveries(mutationID: mutationID)
    }
    func review(id: String) async throws -> ReviewRecord? { try await inner.review(id: id) }
    func reviews(mutationID: String) async throws -> [ReviewRecord] { try await inner.reviews(mutationID: mutationID) }
    func openReviews(deadlineBefore: Date?) async throws -> [ReviewRecord] { try await inner.openReviews(deadlineBefore: deadlineBefore) }
    func reviewQueue(pools: [String], reviewer: String, excludingActors: [String], limit: Int) async throws -> [ReviewQueueEntry] {
        try await inner.reviewQueue(pools: pools, reviewer: reviewer, excludingActors: excludingActors, limit: limit)
    }
    func claimDueReviews(at time: Date, limit: Int, leaseUntil: Date) async throws -> [ReviewRecord] {
        try await inner.claimDueReviews(at: time, limit: limit, leaseUntil: leaseUntil)
    }
    func claimStaleMutations(
        statuses: [MutationStatus], updatedBefore: Date, at time: Date, limit: Int, leaseUntil: Date
    ) async throws -> [MutationRecord] {
        try await inner.claimStaleMutations(statuses: statuses, updatedBefore: updatedBefore, at: time, limit: limit, leaseUntil: leaseUntil)
    }
    func nextReviewDeadline() async throws -> Date? { try await inner.nextReviewDeadline() }
    func nextReviewDeadline(after date: Date) async throws -> Date? { try await inner.nextReviewDeadline(after: date) }
    func votes(reviewID: String) async throws -> [VoteRecord] { try await inner.votes(reviewID: reviewID) }
    func activePolicyVersion() async throws -> PolicyVersionRecord? { try await inner.activePolicyVersion() }
    func policyVersion(hash: String) async throws -> PolicyVersionRecord? { try await inner.policyVersion(hash: hash) }
    func policyVersions() async throws -> [PolicyVersionRecord] { try await inner.policyVersions() }
    func freeze() async throws -> FreezeRecord? {
        systemReadCount.withLock { $0 += 1 }
        return try await inner.freeze()
    }
    func openReviewCount() async throws -> Int {
        systemReadCount.withLock { $0 += 1 }
        return try await inner.openReviewCount()
    }
    func moveCounts(from: MutationStatus, to: MutationStatus, since: Date, bucketSeconds: Int) async throws -> [MoveCount] {
        systemReadCount.withLock { $0 += 1 }
        return try await inner.moveCounts(from: from, to: to, since: since, bucketSeconds: bucketSeconds)
    }
    func tierCounts(since: Date, bucketSeconds: Int) async throws -> [TierCount] {
        try await inner.tierCounts(since: since, bucketSeconds: bucketSeconds)
    }
    func reviews(openedSince since: Date) async throws -> [ReviewRecord] { try await inner.reviews(openedSince: since) }
    func shadowPolicy() async throws -> ShadowSetting? { try await inner.shadowPolicy() }
    func shadowResults(version: String?, since: Date?) async throws -> [ShadowResult] {
        try await inner.shadowResults(version: version, since: since)
    }
    func distributionCounts(from start: Date, to end: Date) async throws -> [DistributionCount] {
        try await inner.distributionCounts(from: start, to: end)
    }
    func votes(castSince since: Date) async throws -> [VoteRecord] { try await inner.votes(castSince: since) }
    func signalState(key: String) async throws -> Data? { try await inner.signalState(key: key) }
    func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord? {
        try await inner.idempotencyRecord(scope: scope, key: key)
    }
    func auditHead() async throws -> AuditHead { try await inner.auditHead() }
    func auditRecords(after seq: Int64, limit: Int) async throws -> [AuditRecord] { try await inner.auditRecords(after: seq, limit: limit) }
    func auditRecords(mutationID: String) async throws -> [AuditRecord] { try await inner.auditRecords(mutationID: mutationID) }
    func firstAuditSeq(atOrAfter time: Date) async throws -> Int64? { try await inner.firstAuditSeq(atOrAfter: time) }
    func auditCheckpoints() async throws -> [AuditCheckpoint] { try await inner.auditCheckpoints() }
    func verifyAudit(publicKey: AuditPublicKey) async throws -> AuditVerificationReport {
        try await inner.verifyAudit(publicKey: publicKey)
    }
    func inclusionProof(seq: Int64) async throws -> AuditInclusionProof { try await inner.inclusionProof(seq: seq) }
    func checkpointIfDue() async throws -> AuditCheckpoint? { try await inner.checkpointIfDue() }
    func signCheckpoint() async throws -> AuditCheckpoint? { try await inner.signCheckpoint() }
    func close() async throws { try await inner.close() }
}

extension StoreChange {
    /// The kinds of the operations, in order, for readable expectations: `castVote`,
    /// `transition(pending_review→approved)`, `audit(verification_failed)`, ….
    var summary: [String] {
        operations.map { operation in
            switch operation {
            case .createMutation: "createMutation"
            case .transition(_, let from, let to, _, _): "transition(\(from)→\(to))"
            case .recordDecision: "recordDecision"
            case .openReview: "openReview"
            case .escalateReview: "escalateReview"
            case .closeReview(_, let status, _): "closeReview(\(status.rawValue))"
            case .castVote: "castVote"
            case .recordPolicyVersion: "recordPolicyVersion"
            case .activatePolicyVersion: "activatePolicyVersion"
            case .saveSignalState: "saveSignalState"
            case .rememberIdempotencyKey: "rememberIdempotencyKey"
            case .forgetIdempotencyKeys: "forgetIdempotencyKeys"
            case .appendAudit(let entry): "audit(\(entry.kind))"
            case .recordExecutedChange: "recordExecutedChange"
            case .setFreeze(let freeze, _): "setFreeze(\(freeze.on))"
            case .enqueueNotification(let notification): "notify(\(notification.kind))"
            case .markNotificationDelivered: "notificationDelivered"
            case .rescheduleNotification: "notificationRescheduled"
            case .failNotification: "notificationFailed"
            case .setShadow(let shadow, _): "setShadow(\(shadow?.version ?? "nil"))"
            case .recordShadowResult: "recordShadowResult"
            case .addDistributionCounts: "addDistributionCounts"
            case .expectRevision: "expectRevision"
            }
        }
    }
}
