import AirlockCore
import Foundation
import NIOCore
import PostgresNIO

/// Reads of the PostgreSQL store: the same answers, in the same order, as `SQLiteStore`'s.
extension PostgresStore {
    static let mutationColumns = """
        id, status, tier, resource, operation, actor_id, policy_version, document, decision, content_hash, idempotency_key,
        request_hash, created_at, updated_at, revision, before_values, rollback_attempts, revision_of, superseded_by, revised_by
        """
    static let reviewColumns = "id, mutation_id, mode, status, groups, reject_after, deadline, escalations, opened_at, closed_at"
    static let voteColumns = "review_id, mutation_id, reviewer, decision, note, content_hash, policy_version, pool, at, audit_seq"
    static let policyColumns = "name, hash, text, created_at, created_by, activated_at, activated_by, is_active"

    public func mutation(id: String) async throws -> MutationRecord? {
        try await rows("SELECT \(unescaped: Self.mutationColumns) FROM mutations WHERE id = \(id)").first.map(Self.mutation(row:))
    }

    public func mutations(_ query: MutationQuery) async throws -> [MutationRecord] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if !query.statuses.isEmpty {
            let list = query.statuses.sorted { $0.rawValue < $1.rawValue }.map { bind($0.rawValue) }
            conditions.append("status IN (\(list.joined(separator: ", ")))")
        }
        if let actorID = query.actorID { conditions.append("actor_id = \(bind(actorID))") }
        if let resource = query.resource { conditions.append("resource = \(bind(resource))") }
        if let since = query.createdSince { conditions.append("created_at >= \(bind(since.microsecondsSince1970))") }
        if let after = query.after {
            conditions.append("(created_at, id) > (SELECT created_at, id FROM mutations WHERE id = \(bind(after)))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = bind(Int64(max(0, query.limit)))
        return try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.mutationColumns) FROM mutations \(whereClause) ORDER BY created_at, id LIMIT \(limit)",
                binds: binds)
        ).map(Self.mutation(row:))
    }

    public func mutationCounts() async throws -> [MutationStatus: Int] {
        var counts: [MutationStatus: Int] = [:]
        for row in try await rows("SELECT status, COUNT(*) FROM mutations GROUP BY status") {
            let (raw, count) = try row.decode((String, Int64).self)
            if let status = MutationStatus(rawValue: raw) { counts[status] = Int(count) }
        }
        return counts
    }

    public func transitions(mutationID: String) async throws -> [TransitionRecord] {
        try await rows(
            """
            SELECT mutation_id, from_status, to_status, at, actor, audit_seq FROM mutation_transitions
            WHERE mutation_id = \(mutationID) ORDER BY id
            """
        ).map { row in
            let (id, from, to, at, actor, seq) = try row.decode((String, String, String, Int64, String, Int64).self)
            return TransitionRecord(
                mutationID: id, from: try Self.status(from), to: try Self.status(to), at: Date(microsecondsSince1970: at), actor: actor,
                auditSeq: seq)
        }
    }

    public func executedChange(mutationID: String) async throws -> ExecutedChangeRecord? {
        try await rows("SELECT mutation_id, change, at FROM executed_changes WHERE mutation_id = \(mutationID)").first.map { row in
            let (id, change, at) = try row.decode((String, String, Int64).self)
            return ExecutedChangeRecord(mutationID: id, change: change, at: Date(microsecondsSince1970: at))
        }
    }

    // MARK: Reviews and votes

    public func review(id: String) async throws -> ReviewRecord? {
        try await rows("SELECT \(unescaped: Self.reviewColumns) FROM reviews WHERE id = \(id)").first.map(Self.review(row:))
    }

    public func reviews(mutationID: String) async throws -> [ReviewRecord] {
        // Of reviews opened in the same instant (one closed and the next opened in one commit),
        // the open one is the newest.
        try await rows(
            """
            SELECT \(unescaped: Self.reviewColumns) FROM reviews WHERE mutation_id = \(mutationID)
            ORDER BY opened_at, closed_at IS NULL, closed_at, id
            """
        ).map(Self.review(row:))
    }

    public func openReviews(deadlineBefore: Date?) async throws -> [ReviewRecord] {
        if let deadlineBefore {
            return try await rows(
                """
                SELECT \(unescaped: Self.reviewColumns) FROM reviews
                WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= \(deadlineBefore.microsecondsSince1970)
                ORDER BY deadline, id
                """
            ).map(Self.review(row:))
        }
        return try await rows(
            """
            SELECT \(unescaped: Self.reviewColumns) FROM reviews WHERE status = 'open'
            ORDER BY deadline IS NULL, deadline, opened_at, id
            """
        ).map(Self.review(row:))
    }

    public func reviewQueue(pools: [String], reviewer: String, excludingActors: [String], limit: Int) async throws
        -> [ReviewQueueEntry]
    {
        guard !pools.isEmpty, limit > 0 else { return [] }
        let columns = Self.reviewColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        var heads: [[ReviewRecord]] = []
        // Each pool's entries in queue order, walked by the index review_pools_queue up to the
        // limit; then the heads are merged.
        for pool in Set(pools).sorted() {
            heads.append(
                try await rows(
                    """
                    SELECT \(unescaped: columns) FROM review_pools p JOIN reviews r ON r.id = p.review_id
                    WHERE p.pool = \(pool) AND p.actor_id <> ALL(\(excludingActors))
                        AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.review_id = p.review_id AND v.reviewer = \(reviewer))
                    ORDER BY p.no_deadline, p.deadline, p.opened_at, p.review_id
                    LIMIT \(Int64(limit))
                    """
                ).map(Self.review(row:)))
        }
        let reviews = ReviewRecord.queue(merging: heads, limit: limit)
        guard !reviews.isEmpty else { return [] }
        let mutations = try await rows(
            "SELECT \(unescaped: Self.mutationColumns) FROM mutations WHERE id = ANY(\(reviews.map(\.mutationID)))"
        ).map(Self.mutation(row:))
        let votes = try await rows(
            "SELECT \(unescaped: Self.voteColumns) FROM votes WHERE review_id = ANY(\(reviews.map(\.id))) ORDER BY id"
        ).map(Self.vote(row:))
        return ReviewQueueEntry.entries(reviews, mutations: mutations, votes: votes)
    }

    public func claimDueReviews(at time: Date, limit: Int, leaseUntil: Date) async throws -> [ReviewRecord] {
        let now = time.microsecondsSince1970
        return try await rows(
            """
            WITH claimed AS (
                SELECT id FROM reviews
                WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= \(now)
                    AND (claimed_until IS NULL OR claimed_until <= \(now))
                ORDER BY deadline, id LIMIT \(Int64(max(0, limit))) FOR UPDATE SKIP LOCKED
            )
            UPDATE reviews r SET claimed_until = \(leaseUntil.microsecondsSince1970) FROM claimed WHERE r.id = claimed.id
            RETURNING \(unescaped: Self.reviewColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
            """
        ).map(Self.review(row:)).sorted { ($0.deadline ?? .distantPast, $0.id) < ($1.deadline ?? .distantPast, $1.id) }
    }

    public func claimStaleMutations(
        statuses: [MutationStatus], updatedBefore: Date, at time: Date, limit: Int, leaseUntil: Date
    ) async throws -> [MutationRecord] {
        guard !statuses.isEmpty else { return [] }
        let now = time.microsecondsSince1970
        let names = statuses.map(\.rawValue).sorted()
        return try await rows(
            """
            WITH claimed AS (
                SELECT id FROM mutations
                WHERE status = ANY(\(names)::text[]) AND updated_at <= \(updatedBefore.microsecondsSince1970)
                    AND (claimed_until IS NULL OR claimed_until <= \(now))
                ORDER BY created_at, id LIMIT \(Int64(max(0, limit))) FOR UPDATE SKIP LOCKED
            )
            UPDATE mutations m SET claimed_until = \(leaseUntil.microsecondsSince1970) FROM claimed WHERE m.id = claimed.id
            RETURNING \(unescaped: Self.mutationColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
            """
        ).map(Self.mutation(row:)).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func nextReviewDeadline() async throws -> Date? {
        try await rows("SELECT deadline FROM reviews WHERE status = 'open' AND deadline IS NOT NULL ORDER BY deadline LIMIT 1")
            .first.map { Date(microsecondsSince1970: try $0.decode(Int64.self)) }
    }

    public func nextReviewDeadline(after date: Date) async throws -> Date? {
        try await rows(
            """
            SELECT deadline FROM reviews WHERE status = 'open' AND deadline > \(date.microsecondsSince1970)
            ORDER BY deadline LIMIT 1
            """
        ).first.map { Date(microsecondsSince1970: try $0.decode(Int64.self)) }
    }

    public func votes(reviewID: String) async throws -> [VoteRecord] {
        try await rows("SELECT \(unescaped: Self.voteColumns) FROM votes WHERE review_id = \(reviewID) ORDER BY id").map(Self.vote(row:))
    }

    // MARK: Policy versions

    public func activePolicyVersion() async throws -> PolicyVersionRecord? {
        try await rows("SELECT \(unescaped: Self.policyColumns) FROM policy_versions WHERE is_active").first.map(Self.policy(row:))
    }

    public func policyVersion(hash: String) async throws -> PolicyVersionRecord? {
        try await rows("SELECT \(unescaped: Self.policyColumns) FROM policy_versions WHERE hash = \(hash)").first.map(Self.policy(row:))
    }

    public func policyVersions() async throws -> [PolicyVersionRecord] {
        try await rows("SELECT \(unescaped: Self.policyColumns) FROM policy_versions ORDER BY position").map(Self.policy(row:))
    }

    // MARK: System state

    public func freeze() async throws -> FreezeRecord? {
        guard let row = try await rows("SELECT value, updated_at, updated_by FROM system_settings WHERE key = 'freeze'").first
        else { return nil }
        let (text, at, by) = try row.decode((String, Int64, String).self)
        let value = try FreezeValue(json: text)
        return FreezeRecord(on: value.on, reason: value.reason, since: Date(microsecondsSince1970: at), by: by)
    }

    public func openReviewCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM reviews WHERE status = 'open'").first?.decode(Int64.self) ?? 0)
    }

    public func moveCounts(from: MutationStatus, to: MutationStatus, since: Date, bucketSeconds: Int) async throws -> [MoveCount] {
        precondition(bucketSeconds > 0)
        let width = Int64(bucketSeconds) * 1_000_000
        return try await rows(
            """
            SELECT div(at, \(width))::BIGINT AS bucket, COUNT(*) FROM mutation_transitions
            WHERE to_status = \(to.rawValue) AND from_status = \(from.rawValue) AND at >= \(since.microsecondsSince1970)
            GROUP BY bucket ORDER BY bucket
            """
        ).map { row in
            let (bucket, count) = try row.decode((Int64, Int64).self)
            return MoveCount(bucketStart: Date(microsecondsSince1970: bucket * width), count: Int(count))
        }
    }

    public func tierCounts(since: Date, bucketSeconds: Int) async throws -> [TierCount] {
        precondition(bucketSeconds > 0)
        let width = Int64(bucketSeconds) * 1_000_000
        return try await rows(
            """
            SELECT div(created_at, \(width))::BIGINT AS bucket, tier, COUNT(*) FROM mutations
            WHERE created_at >= \(since.microsecondsSince1970) GROUP BY bucket, tier ORDER BY bucket, tier NULLS FIRST
            """
        ).map { row in
            let (bucket, tier, count) = try row.decode((Int64, String?, Int64).self)
            return TierCount(bucketStart: Date(microsecondsSince1970: bucket * width), tier: tier, count: Int(count))
        }
    }

    public func reviews(openedSince since: Date) async throws -> [ReviewRecord] {
        try await rows(
            "SELECT \(unescaped: Self.reviewColumns) FROM reviews WHERE opened_at >= \(since.microsecondsSince1970) ORDER BY opened_at, id"
        ).map(Self.review(row:))
    }

    // MARK: The learning loop

    public func shadowPolicy() async throws -> ShadowSetting? {
        try await rows("SELECT value, updated_at, updated_by FROM system_settings WHERE key = 'shadow'").first.map { row in
            let (version, at, by) = try row.decode((String, Int64, String).self)
            return ShadowSetting(version: version, since: Date(microsecondsSince1970: at), by: by)
        }
    }

    public func shadowResults(version: String?, since: Date?) async throws -> [ShadowResult] {
        let columns = """
            mutation_id, shadow_version, active_version, at, resource, active_tier, shadow_tier, active_rules, shadow_rules,
            shadow_decision
            """
        let from = since?.microsecondsSince1970 ?? Int64.min
        let found =
            if let version {
                try await rows(
                    """
                    SELECT \(unescaped: columns) FROM shadow_results WHERE at >= \(from) AND shadow_version = \(version)
                    ORDER BY at, position
                    """)
            } else {
                try await rows("SELECT \(unescaped: columns) FROM shadow_results WHERE at >= \(from) ORDER BY at, position")
            }
        return try found.map { row in
            func list(_ text: String) -> [String] { (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [] }
            let (id, shadowVersion, activeVersion, at, resource, activeTier, shadowTier, activeRules, shadowRules, decision) =
                try row.decode((String, String, String, Int64, String, String, String, String, String, String?).self)
            return ShadowResult(
                mutationID: id, shadowVersion: shadowVersion, activeVersion: activeVersion, at: Date(microsecondsSince1970: at),
                resource: resource, activeTier: activeTier, shadowTier: shadowTier, activeRules: list(activeRules),
                shadowRules: list(shadowRules), shadowDecision: decision)
        }
    }

    public func distributionCounts(from start: Date, to end: Date) async throws -> [DistributionCount] {
        try await rows(
            """
            SELECT hour, resource, dimension, bucket, count FROM decision_distributions
            WHERE hour >= \(start.microsecondsSince1970) AND hour < \(end.microsecondsSince1970)
            ORDER BY hour, resource, dimension, bucket
            """
        ).map { row in
            let (hour, resource, dimension, bucket, count) = try row.decode((Int64, String, String, String, Int64).self)
            return DistributionCount(
                hour: Date(microsecondsSince1970: hour), resource: resource, dimension: dimension, bucket: bucket, count: Int(count))
        }
    }

    public func votes(castSince since: Date) async throws -> [VoteRecord] {
        try await rows(
            "SELECT \(unescaped: Self.voteColumns) FROM votes WHERE at >= \(since.microsecondsSince1970) ORDER BY at, id"
        ).map(Self.vote(row:))
    }

    // MARK: Signal state and idempotency keys

    public func signalState(key: String) async throws -> Data? {
        try await rows("SELECT blob FROM signal_state WHERE key = \(key)").first.map { row in
            Data(try row.decode(ByteBuffer.self).readableBytesView)
        }
    }

    public func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord? {
        try await rows(
            "SELECT scope, key, request_hash, mutation_id, created_at FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)"
        ).first.map { row in
            let (scope, key, requestHash, mutationID, at) = try row.decode((String, String, String, String?, Int64).self)
            return IdempotencyRecord(
                key: IdempotencyKey(scope: scope, key: key, requestHash: requestHash), mutationID: mutationID,
                createdAt: Date(microsecondsSince1970: at))
        }
    }

    // MARK: The notification outbox

    static let deliveryColumns = """
        d.id, d.event_id, e.kind, e.body, e.mutation_id, d.target, d.status, d.attempts, d.next_attempt_at, d.last_error,
        e.created_at, d.updated_at
        """

    public func dueNotifications(target: String, at time: Date, limit: Int) async throws -> [NotificationDelivery] {
        try await rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id
            WHERE d.status = 'pending' AND d.target = \(target) AND d.next_attempt_at <= \(time.microsecondsSince1970)
            ORDER BY d.next_attempt_at, d.id LIMIT \(Int64(max(0, limit)))
            """
        ).map(Self.delivery(row:))
    }

    public func claimDueNotifications(target: String, at time: Date, limit: Int, leaseUntil: Date) async throws
        -> [NotificationDelivery]
    {
        // One statement: the due rows no other claim holds (SKIP LOCKED), moved to the lease.
        try await rows(
            """
            WITH claimed AS (
                SELECT id, next_attempt_at FROM notification_deliveries
                WHERE status = 'pending' AND target = \(target) AND next_attempt_at <= \(time.microsecondsSince1970)
                ORDER BY next_attempt_at, id LIMIT \(Int64(max(0, limit))) FOR UPDATE SKIP LOCKED
            ), leased AS (
                UPDATE notification_deliveries d SET next_attempt_at = \(leaseUntil.microsecondsSince1970)
                FROM claimed WHERE d.id = claimed.id RETURNING d.id, claimed.next_attempt_at AS due_at
            )
            SELECT d.id, d.event_id, e.kind, e.body, e.mutation_id, d.target, d.status, d.attempts, leased.due_at, d.last_error,
                e.created_at, d.updated_at
            FROM leased JOIN notification_deliveries d ON d.id = leased.id JOIN notification_events e ON e.id = d.event_id
            ORDER BY leased.due_at, d.id
            """
        ).map(Self.delivery(row:))
    }

    public func nextNotificationDue(target: String) async throws -> Date? {
        try await rows(
            """
            SELECT next_attempt_at FROM notification_deliveries WHERE status = 'pending' AND target = \(target)
            ORDER BY next_attempt_at LIMIT 1
            """
        ).first.map { Date(microsecondsSince1970: try $0.decode(Int64.self)) }
    }

    public func pendingNotificationTargets() async throws -> Set<String> {
        Set(try await rows("SELECT DISTINCT target FROM notification_deliveries WHERE status = 'pending'").map { try $0.decode(String.self) })
    }

    public func notificationDeliveries(eventID: String) async throws -> [NotificationDelivery] {
        try await rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id
            WHERE d.event_id = \(eventID) ORDER BY d.target
            """
        ).map(Self.delivery(row:))
    }

    public func notificationDeliveries(mutationID: String) async throws -> [NotificationDelivery] {
        try await rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM notification_events e JOIN notification_deliveries d ON d.event_id = e.id
            WHERE e.mutation_id = \(mutationID) ORDER BY e.created_at, d.id
            """
        ).map(Self.delivery(row:))
    }

    // MARK: Rows

    static func status(_ raw: String) throws -> MutationStatus {
        guard let status = MutationStatus(rawValue: raw) else {
            throw StoreError(.corrupted, "unknown mutation status \(raw.debugDescription) in the database")
        }
        return status
    }

    static func mutation(row: PostgresRow) throws -> MutationRecord {
        let (id, status, tier, resource, operation, actorID, policyVersion, document, decision, contentHash) =
            try row.decode((String, String, String?, String, String, String, String?, String, String?, String).self)
        let columns = row.makeRandomAccess()
        return MutationRecord(
            id: id, status: try Self.status(status), tier: tier, resource: resource, operation: operation, actorID: actorID,
            policyVersion: policyVersion, document: document, decision: decision, contentHash: contentHash,
            idempotencyKey: try columns[10].decode(String?.self), requestHash: try columns[11].decode(String?.self),
            createdAt: Date(microsecondsSince1970: try columns[12].decode(Int64.self)),
            updatedAt: Date(microsecondsSince1970: try columns[13].decode(Int64.self)), revision: Int(try columns[14].decode(Int64.self)),
            beforeValues: try columns[15].decode(String?.self), rollbackAttempts: Int(try columns[16].decode(Int64.self)),
            revisionOf: try columns[17].decode(String?.self), supersededBy: try columns[18].decode(String?.self),
            revisedBy: try columns[19].decode(String?.self))
    }

    static func review(row: PostgresRow) throws -> ReviewRecord {
        let (id, mutationID, modeText, statusText, groupsText, rejectAfter, deadline, escalations, openedAt, closedAt) =
            try row.decode((String, String, String, String, String, Int64, Int64?, Int64, Int64, Int64?).self)
        guard let mode = ReviewMode(rawValue: modeText), let status = ReviewStatus(rawValue: statusText) else {
            throw StoreError(.corrupted, "review \(id) has an unknown mode or status")
        }
        return ReviewRecord(
            id: id, mutationID: mutationID, mode: mode, status: status,
            groups: try JSONDecoder().decode([ApprovalGroup].self, from: Data(groupsText.utf8)), rejectAfter: Int(rejectAfter),
            deadline: deadline.map(Date.init(microsecondsSince1970:)), escalations: Int(escalations),
            openedAt: Date(microsecondsSince1970: openedAt), closedAt: closedAt.map(Date.init(microsecondsSince1970:)))
    }

    static func vote(row: PostgresRow) throws -> VoteRecord {
        let (reviewID, mutationID, reviewer, decisionText, note, contentHash, policyVersion, pool, at, seq) =
            try row.decode((String, String, String, String, String?, String, String?, String?, Int64, Int64).self)
        guard let decision = VoteDecision(rawValue: decisionText) else {
            throw StoreError(.corrupted, "a vote has the unknown decision \(decisionText.debugDescription)")
        }
        return VoteRecord(
            reviewID: reviewID, mutationID: mutationID, reviewer: reviewer, decision: decision, note: note, contentHash: contentHash,
            policyVersion: policyVersion, pool: pool, at: Date(microsecondsSince1970: at), auditSeq: seq)
    }

    static func policy(row: PostgresRow) throws -> PolicyVersionRecord {
        let (name, hash, text, createdAt, createdBy, activatedAt, activatedBy, isActive) =
            try row.decode((String, String, String, Int64, String, Int64?, String?, Bool).self)
        return PolicyVersionRecord(
            name: name, hash: hash, text: text, createdAt: Date(microsecondsSince1970: createdAt), createdBy: createdBy,
            activatedAt: activatedAt.map(Date.init(microsecondsSince1970:)), activatedBy: activatedBy, isActive: isActive)
    }

    static func delivery(row: PostgresRow) throws -> NotificationDelivery {
        let (id, eventID, kind, body, mutationID, target, raw, attempts, next, lastError, createdAt, updatedAt) =
            try row.decode((Int64, String, String, String, String?, String, String, Int64, Int64, String?, Int64, Int64).self)
        guard let status = NotificationDelivery.Status(rawValue: raw) else {
            throw StoreError(.corrupted, "notification delivery \(id) has an unknown status '\(raw)'")
        }
        return NotificationDelivery(
            id: id, eventID: eventID, kind: kind, body: body, mutationID: mutationID, target: target, status: status,
            attempts: Int(attempts), nextAttemptAt: Date(microsecondsSince1970: next), lastError: lastError,
            createdAt: Date(microsecondsSince1970: createdAt), updatedAt: Date(microsecondsSince1970: updatedAt))
    }
}
