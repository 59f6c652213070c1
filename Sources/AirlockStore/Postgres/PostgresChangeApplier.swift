import AirlockCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Applies the operations of one ``StoreChange`` inside a write transaction that holds the audit
/// head lock, enforcing what the store promises (lifecycle, expected status, one vote per
/// reviewer, …): the PostgreSQL twin of `SQLiteChangeApplier`, held to the same conformance suite.
///
/// Rows nothing in the transaction reads back go to the group commit's ``PostgresWriteBuffer``
/// (audit records, transition rows, executed changes, and new mutations until something needs
/// them in the database); the rest is written at once, one round trip per statement.
struct PostgresChangeApplier {
    let session: PostgresWriteSession
    let timeMicros: Int64
    let auditTimeMicros: Int64
    /// The group commit's rows still to write; the caller takes it back after ``apply(_:tail:)``.
    var buffer: PostgresWriteBuffer
    private var records: [AuditRecord] = []
    /// Mutations this change has seen in the database (an update of theirs matched): no need to
    /// read whether they exist.
    private var known: Set<String> = []
    /// Mutations this change created: nobody elsewhere knows their ids yet, so nobody waits on
    /// them, and the other instances need no notice of them.
    private var created: Set<String> = []
    /// What the change touched, for the instances listening (``StoreNotice``): the mutations it
    /// changed, and whether it changed a setting every instance holds (policy, freeze, shadow).
    private(set) var notices: Set<StoreNotice> = []

    init(session: PostgresWriteSession, time: Date, auditTimeMicros: Int64, buffer: PostgresWriteBuffer) {
        self.session = session
        self.buffer = buffer
        self.timeMicros = time.microsecondsSince1970
        self.auditTimeMicros = auditTimeMicros
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    private nonisolated(nonsending) func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await session.run(query)
    }

    /// Applies the operations in order and returns the audit records they appended.
    mutating nonisolated(nonsending) func apply(_ operations: [StoreChange.Operation], tail: inout AuditTail) async throws -> [AuditRecord] {
        for operation in operations {
            switch operation {
            case .createMutation(let mutation, let audit):
                created.insert(mutation.id)
                try await createMutation(mutation)
                try await append(audit, mutationID: mutation.id, tail: &tail)
            case .expectRevision(let id, let revision):
                try await expectRevision(id, revision)
            case .transition(let id, let from, let to, let update, let audit):
                notices.insert(.mutation(id))
                try await transition(id, from: from, to: to, update: update)
                try await recordTransition(id, from: from, to: to, audit: audit, tail: &tail)
            case .recordDecision(let id, let status, let update, let audit):
                notices.insert(.mutation(id))
                if let pending = buffer.pending(id) {
                    guard pending.status == status.rawValue else {
                        var error = StoreError(
                            .statusMismatch, "mutation \(id) is \(pending.status), not \(status): its decision was not replaced",
                            mutationID: id)
                        error.currentStatus = MutationStatus(rawValue: pending.status)
                        throw error
                    }
                    buffer.update(id) { row in
                        row.tier = update.tier ?? row.tier
                        row.policyVersion = update.policyVersion ?? row.policyVersion
                        row.decision = update.decision ?? row.decision
                        row.updatedAt = timeMicros
                        row.revision += 1
                    }
                    try await append(audit, mutationID: id, tail: &tail)
                    continue
                }
                let updated = try await run(
                    """
                    UPDATE mutations SET tier = COALESCE(\(update.tier), tier),
                        policy_version = COALESCE(\(update.policyVersion), policy_version),
                        decision = COALESCE(\(update.decision), decision), updated_at = \(timeMicros), revision = revision + 1
                    WHERE id = \(id) AND status = \(status.rawValue) RETURNING 1
                    """)
                guard updated.count == 1 else {
                    guard let current = try await currentStatus(of: id) else {
                        throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
                    }
                    var error = StoreError(
                        .statusMismatch, "mutation \(id) is \(current), not \(status): its decision was not replaced", mutationID: id)
                    error.currentStatus = current
                    throw error
                }
                try await append(audit, mutationID: id, tail: &tail)
            case .openReview(let review, let audit):
                notices.insert(.mutation(review.mutationID))
                if buffer.isPending(review.mutationID) {
                    try await buffer.flushMutations(session)
                }
                try await openReview(review)
                try await append(audit, mutationID: review.mutationID, tail: &tail)
            case .escalateReview(let id, let groups, let deadline, let from, let audit):
                let mutationID = try await escalateReview(id, groups: groups, deadline: deadline, from: from)
                notices.insert(.mutation(mutationID))
                try await append(audit, mutationID: mutationID, tail: &tail)
            case .closeReview(let id, let status, let audit):
                let mutationID = try await closeReview(id, status: status)
                notices.insert(.mutation(mutationID))
                try await append(audit, mutationID: mutationID, tail: &tail)
            case .castVote(let vote, let audit):
                let mutationID = try await checkVote(vote)
                notices.insert(.mutation(mutationID))
                let record = try await append(audit, mutationID: mutationID, tail: &tail)
                try await run(
                    """
                    INSERT INTO votes (review_id, mutation_id, reviewer, decision, note, content_hash, policy_version, pool, at, audit_seq)
                    VALUES (\(vote.reviewID), \(mutationID), \(vote.reviewer), \(vote.decision.rawValue), \(vote.note),
                        \(vote.contentHash), \(vote.policyVersion), \(vote.pool), \(timeMicros), \(record.seq))
                    """)
            case .recordPolicyVersion(let version):
                try await recordPolicyVersion(version)
            case .activatePolicyVersion(let hash, let principal, var audit):
                notices.insert(.settings)
                try await activatePolicyVersion(hash: hash, by: principal)
                audit.policyVersion = audit.policyVersion ?? hash
                try await append(audit, mutationID: audit.mutationID, tail: &tail)
            case .saveSignalState(let key, let blob):
                try await run(
                    """
                    INSERT INTO signal_state (key, blob, updated_at) VALUES (\(key), \(ByteBuffer(bytes: blob)), \(timeMicros))
                    ON CONFLICT (key) DO UPDATE SET blob = EXCLUDED.blob, updated_at = EXCLUDED.updated_at
                    """)
            case .rememberIdempotencyKey(let key, let mutationID):
                try await reserve(key, mutationID: mutationID)
            case .forgetIdempotencyKeys(let before):
                try await run("DELETE FROM idempotency_keys WHERE created_at < \(before.microsecondsSince1970)")
            case .appendAudit(let audit):
                try await append(audit, mutationID: audit.mutationID, tail: &tail)
            case .recordExecutedChange(let mutationID, let change):
                if !known.contains(mutationID), try await currentStatus(of: mutationID) == nil {
                    throw StoreError(.notFound, "there is no mutation \(mutationID)", mutationID: mutationID)
                }
                buffer.recordExecuted(mutationID, change: change, at: timeMicros)
            case .setFreeze(let freeze, let audit):
                notices.insert(.settings)
                let value = try FreezeValue(on: freeze.on, reason: freeze.reason).json()
                try await setSetting("freeze", value: value, at: freeze.since, by: freeze.by)
                try await append(audit, mutationID: audit.mutationID, tail: &tail)
            case .enqueueNotification(let notification):
                try await enqueue(notification)
            case .markNotificationDelivered(let id):
                try await updatePendingDelivery(id, status: .delivered, attempts: nil, nextAttempt: nil, error: nil)
            case .rescheduleNotification(let id, let attempts, let next, let error):
                try await updatePendingDelivery(id, status: .pending, attempts: attempts, nextAttempt: next, error: error)
            case .failNotification(let id, let attempts, let error):
                try await updatePendingDelivery(id, status: .failed, attempts: attempts, nextAttempt: nil, error: error)
            case .setShadow(let shadow, let audit):
                notices.insert(.settings)
                if let shadow {
                    try await setSetting("shadow", value: shadow.version, at: shadow.since, by: shadow.by)
                } else {
                    try await run("DELETE FROM system_settings WHERE key = 'shadow'")
                }
                try await append(audit, mutationID: audit.mutationID, tail: &tail)
            case .recordShadowResult(let result):
                try await recordShadowResult(result)
            case .addDistributionCounts(let counts):
                guard !counts.isEmpty else { continue }
                // One statement for all: the same key twice would be an error there, so sum first.
                var summed: [DistributionKey: Int64] = [:]
                for count in counts {
                    summed[DistributionKey(count.hour.microsecondsSince1970, count.resource, count.dimension, count.bucket), default: 0]
                        += Int64(count.count)
                }
                // In key order: two instances adding to the same rows lock them in one order.
                let keys = summed.keys.sorted { ($0.hour, $0.resource, $0.dimension, $0.bucket) < ($1.hour, $1.resource, $1.dimension, $1.bucket) }
                try await run(
                    """
                    INSERT INTO decision_distributions (hour, resource, dimension, bucket, count)
                    SELECT * FROM unnest(\(keys.map(\.hour))::int8[], \(keys.map(\.resource))::text[], \(keys.map(\.dimension))::text[],
                        \(keys.map(\.bucket))::text[], \(keys.map { summed[$0]! })::int8[])
                    ON CONFLICT (hour, resource, dimension, bucket) DO UPDATE SET count = decision_distributions.count + EXCLUDED.count
                    """)
            }
        }
        if !created.isEmpty {
            notices = notices.filter { notice in
                if case .mutation(let id) = notice { !created.contains(id) } else { true }
            }
        }
        return records
    }

    private nonisolated(nonsending) func setSetting(_ key: String, value: String, at time: Date, by principal: String) async throws {
        try await run(
            """
            INSERT INTO system_settings (key, value, updated_at, updated_by) VALUES (\(key), \(value), \(time.microsecondsSince1970), \(principal))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """)
    }

    private nonisolated(nonsending) func recordShadowResult(_ result: ShadowResult) async throws {
        func list(_ names: [String]) throws -> String {
            String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
        }
        let activeRules = try list(result.activeRules)
        let shadowRules = try list(result.shadowRules)
        try await run(
            """
            INSERT INTO shadow_results (mutation_id, shadow_version, active_version, at, resource, active_tier, shadow_tier,
                active_rules, shadow_rules, shadow_decision)
            VALUES (\(result.mutationID), \(result.shadowVersion), \(result.activeVersion), \(result.at.microsecondsSince1970),
                \(result.resource), \(result.activeTier), \(result.shadowTier), \(activeRules), \(shadowRules), \(result.shadowDecision))
            ON CONFLICT (mutation_id) DO UPDATE SET shadow_version = EXCLUDED.shadow_version,
                active_version = EXCLUDED.active_version, at = EXCLUDED.at, resource = EXCLUDED.resource,
                active_tier = EXCLUDED.active_tier, shadow_tier = EXCLUDED.shadow_tier, active_rules = EXCLUDED.active_rules,
                shadow_rules = EXCLUDED.shadow_rules, shadow_decision = EXCLUDED.shadow_decision
            """)
    }

    /// Appends a transition's audit record and its row in `mutation_transitions`.
    private mutating nonisolated(nonsending) func recordTransition(
        _ id: String, from: MutationStatus, to: MutationStatus, audit: AuditEntry, tail: inout AuditTail
    ) async throws {
        let record = try await append(audit, mutationID: id, tail: &tail)
        buffer.appendTransition(id, from: from.rawValue, to: to.rawValue, at: timeMicros, actor: audit.actor, auditSeq: record.seq)
    }

    @discardableResult
    private mutating nonisolated(nonsending) func append(_ entry: AuditEntry, mutationID: String?, tail: inout AuditTail) async throws -> AuditRecord {
        var entry = entry
        entry.mutationID = mutationID
        let record = tail.append(entry, timeMicros: auditTimeMicros)
        buffer.appendAudit(record, entry: entry)
        records.append(record)
        return record
    }

    // MARK: Mutations

    /// Holds the new row in the buffer: whether its id is taken in the database is known when
    /// it is written (``PostgresWriteBuffer/flushMutations(_:)``), still inside this
    /// change's transaction.
    private mutating nonisolated(nonsending) func createMutation(_ mutation: NewMutation) async throws {
        if let key = mutation.idempotency {
            try await reserve(key, mutationID: mutation.id)
        }
        let added = buffer.add(
            PostgresWriteBuffer.PendingMutation(
                id: mutation.id, status: MutationStatus.received.rawValue, tier: nil, resource: mutation.resource,
                operation: mutation.operation, actorID: mutation.actorID, policyVersion: nil, document: mutation.document,
                decision: nil, contentHash: mutation.contentHash, idempotencyKey: mutation.idempotency?.key,
                requestHash: mutation.idempotency?.requestHash, createdAt: timeMicros, updatedAt: timeMicros, revision: 0,
                beforeValues: nil, rollbackAttempts: 0, revisionOf: mutation.revisionOf, supersededBy: nil,
                revisedBy: mutation.revisedBy))
        guard added else {
            throw StoreError(.alreadyExists, "a mutation with id \(mutation.id) already exists", mutationID: mutation.id)
        }
    }

    private mutating nonisolated(nonsending) func transition(_ id: String, from: MutationStatus, to: MutationStatus, update: MutationUpdate) async throws {
        do {
            _ = try from.transition(to: to)
        } catch {
            var refusal = StoreError(.transitionNotAllowed, "mutation \(id): \(error)", mutationID: id)
            refusal.currentStatus = try await currentStatus(of: id)
            throw refusal
        }
        let rollbackAttempts: Int64 = to == .rollingBack ? 1 : 0
        if let pending = buffer.pending(id) {
            guard pending.status == from.rawValue else {
                var error = StoreError(
                    .statusMismatch, "mutation \(id) is \(pending.status), not \(from): it cannot move to \(to)", mutationID: id)
                error.currentStatus = MutationStatus(rawValue: pending.status)
                throw error
            }
            buffer.update(id) { row in
                row.status = to.rawValue
                row.tier = update.tier ?? row.tier
                row.policyVersion = update.policyVersion ?? row.policyVersion
                row.decision = update.decision ?? row.decision
                row.beforeValues = update.beforeValues ?? row.beforeValues
                row.supersededBy = update.supersededBy ?? row.supersededBy
                row.updatedAt = timeMicros
                row.revision += 1
                row.rollbackAttempts += rollbackAttempts
            }
            return
        }
        let updated = try await run(
            """
            UPDATE mutations SET status = \(to.rawValue), tier = COALESCE(\(update.tier), tier),
                policy_version = COALESCE(\(update.policyVersion), policy_version), decision = COALESCE(\(update.decision), decision),
                before_values = COALESCE(\(update.beforeValues), before_values),
                superseded_by = COALESCE(\(update.supersededBy), superseded_by), updated_at = \(timeMicros),
                revision = revision + 1, rollback_attempts = rollback_attempts + \(rollbackAttempts)
            WHERE id = \(id) AND status = \(from.rawValue) RETURNING 1
            """)
        guard updated.count == 1 else {
            guard let current = try await currentStatus(of: id) else {
                throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
            }
            var error = StoreError(
                .statusMismatch, "mutation \(id) is \(current), not \(from): it cannot move to \(to)", mutationID: id)
            error.currentStatus = current
            throw error
        }
        known.insert(id)
    }

    private mutating nonisolated(nonsending) func expectRevision(_ id: String, _ revision: Int) async throws {
        if let pending = buffer.pending(id) {
            guard pending.revision == Int64(revision) else {
                var error = StoreError(
                    .statusMismatch, "mutation \(id) changed since it was read (it is \(pending.status) now)", mutationID: id)
                error.currentStatus = MutationStatus(rawValue: pending.status)
                throw error
            }
            buffer.update(id) { row in row.revision += 1 }
            return
        }
        let updated = try await run(
            "UPDATE mutations SET revision = revision + 1 WHERE id = \(id) AND revision = \(Int64(revision)) RETURNING 1")
        guard updated.count == 1 else {
            guard let current = try await currentStatus(of: id) else {
                throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
            }
            var error = StoreError(.statusMismatch, "mutation \(id) changed since it was read (it is \(current) now)", mutationID: id)
            error.currentStatus = current
            throw error
        }
    }

    private nonisolated(nonsending) func currentStatus(of id: String) async throws -> MutationStatus? {
        if let pending = buffer.pending(id) {
            return MutationStatus(rawValue: pending.status)
        }
        for row in try await run("SELECT status FROM mutations WHERE id = \(id)") {
            return MutationStatus(rawValue: try row.decode(String.self))
        }
        return nil
    }

    // MARK: Reviews and votes

    private nonisolated(nonsending) func openReview(_ review: NewReview) async throws {
        guard !review.groups.isEmpty, review.groups.allSatisfy({ $0.count >= 1 }), review.rejectAfter >= 1 else {
            throw StoreError(
                .invalidArgument, "review \(review.id) needs at least one group, counts and reject_after of 1 or more",
                mutationID: review.mutationID)
        }
        guard try await currentStatus(of: review.mutationID) != nil else {
            throw StoreError(.notFound, "there is no mutation \(review.mutationID)", mutationID: review.mutationID)
        }
        if try await !run("SELECT 1 FROM reviews WHERE id = \(review.id)").isEmpty {
            throw StoreError(.alreadyExists, "a review with id \(review.id) already exists", mutationID: review.mutationID)
        }
        for row in try await run("SELECT id FROM reviews WHERE mutation_id = \(review.mutationID) AND status = 'open'") {
            let open = try row.decode(String.self)
            throw StoreError(
                .alreadyExists, "mutation \(review.mutationID) already has an open review (\(open))", mutationID: review.mutationID)
        }
        let groups = try SQLiteChangeApplier.encode(review.groups)
        try await run(
            """
            INSERT INTO reviews (id, mutation_id, mode, status, groups, reject_after, deadline, escalations, opened_at, closed_at)
            VALUES (\(review.id), \(review.mutationID), \(review.mode.rawValue), 'open', \(groups), \(Int64(review.rejectAfter)),
                \(review.deadline?.microsecondsSince1970), 0, \(timeMicros), NULL)
            """)
    }

    private nonisolated(nonsending) func openReviewMutation(_ reviewID: String) async throws -> String {
        guard let row = try await run("SELECT mutation_id, status FROM reviews WHERE id = \(reviewID)").first else {
            throw StoreError(.notFound, "there is no review \(reviewID)")
        }
        let (mutationID, status) = try row.decode((String, String).self)
        guard status == ReviewStatus.open.rawValue else {
            throw StoreError(.reviewNotOpen, "review \(reviewID) is \(status), not open", mutationID: mutationID)
        }
        return mutationID
    }

    private nonisolated(nonsending) func escalateReview(_ id: String, groups: [ApprovalGroup], deadline: Date?, from: Int?) async throws -> String {
        let mutationID = try await openReviewMutation(id)
        guard !groups.isEmpty, groups.allSatisfy({ $0.count >= 1 }) else {
            throw StoreError(.invalidArgument, "an escalation needs at least one group with a count of 1 or more")
        }
        let encoded = try SQLiteChangeApplier.encode(groups)
        let updated = try await run(
            """
            UPDATE reviews SET groups = \(encoded), deadline = \(deadline?.microsecondsSince1970), escalations = escalations + 1,
                claimed_until = NULL
            WHERE id = \(id) AND escalations = COALESCE(\(from.map(Int64.init)), escalations) RETURNING 1
            """)
        guard updated.count == 1 else {
            throw StoreError(
                .votesChanged, "review \(id) was escalated meanwhile (not \(from ?? 0) escalations any more)", mutationID: mutationID)
        }
        return mutationID
    }

    private nonisolated(nonsending) func closeReview(_ id: String, status: ReviewStatus) async throws -> String {
        guard status != .open else {
            throw StoreError(.invalidArgument, "a review cannot be closed as open")
        }
        let mutationID = try await openReviewMutation(id)
        try await run("UPDATE reviews SET status = \(status.rawValue), closed_at = \(timeMicros), claimed_until = NULL WHERE id = \(id)")
        return mutationID
    }

    private nonisolated(nonsending) func checkVote(_ vote: NewVote) async throws -> String {
        let mutationID = try await openReviewMutation(vote.reviewID)
        let requester = try await run("SELECT actor_id FROM mutations WHERE id = \(mutationID)").first?.decode(String.self)
        guard requester != vote.reviewer else {
            throw StoreError(
                .requesterCannotVote, "\(vote.reviewer) requested mutation \(mutationID) and cannot vote on it", mutationID: mutationID)
        }
        if try await !run("SELECT 1 FROM votes WHERE mutation_id = \(mutationID) AND reviewer = \(vote.reviewer)").isEmpty {
            throw StoreError(.duplicateVote, "\(vote.reviewer) already voted on mutation \(mutationID)", mutationID: mutationID)
        }
        if let expected = vote.escalationsBefore {
            let escalations = try await run("SELECT escalations FROM reviews WHERE id = \(vote.reviewID)").first?.decode(Int64.self) ?? 0
            guard escalations == Int64(expected) else {
                throw StoreError(
                    .votesChanged, "review \(vote.reviewID) was escalated since the vote was read: its pools changed",
                    mutationID: mutationID)
            }
        }
        if let expected = vote.votesBefore {
            let count = try await run("SELECT COUNT(*) FROM votes WHERE review_id = \(vote.reviewID)").first?.decode(Int64.self) ?? 0
            guard count == Int64(expected) else {
                throw StoreError(
                    .votesChanged, "review \(vote.reviewID) has \(count) vote(s), not the \(expected) the vote was settled from",
                    mutationID: mutationID)
            }
        }
        return mutationID
    }

    // MARK: Policy versions and idempotency keys

    private nonisolated(nonsending) func recordPolicyVersion(_ version: NewPolicyVersion) async throws {
        if let row = try await run("SELECT text FROM policy_versions WHERE hash = \(version.hash)").first {
            guard try row.decode(String.self) == version.text else {
                throw StoreError(.policyConflict, "policy version \(version.hash) is already stored with a different text")
            }
            return
        }
        try await run(
            """
            INSERT INTO policy_versions (hash, name, text, created_at, created_by, is_active, position)
            VALUES (\(version.hash), \(version.name), \(version.text), \(timeMicros), \(version.createdBy), false,
                (SELECT COALESCE(MAX(position), 0) + 1 FROM policy_versions))
            """)
    }

    private nonisolated(nonsending) func activatePolicyVersion(hash: String, by principal: String) async throws {
        guard try await !run("SELECT 1 FROM policy_versions WHERE hash = \(hash)").isEmpty else {
            throw StoreError(.notFound, "there is no policy version \(hash); record it before activating it")
        }
        try await run("UPDATE policy_versions SET is_active = false WHERE is_active")
        try await run(
            "UPDATE policy_versions SET is_active = true, activated_at = \(timeMicros), activated_by = \(principal) WHERE hash = \(hash)")
    }

    /// Takes the key (one round trip when it is free); a key already taken is refused, saying
    /// for which mutation and whether by the same request.
    private nonisolated(nonsending) func reserve(_ key: IdempotencyKey, mutationID: String?) async throws {
        let inserted = try await run(
            """
            INSERT INTO idempotency_keys (scope, key, request_hash, mutation_id, created_at)
            VALUES (\(key.scope), \(key.key), \(key.requestHash), \(mutationID), \(timeMicros))
            ON CONFLICT (scope, key) DO NOTHING RETURNING 1
            """)
        if inserted.count == 1 { return }
        if let row = try await run(
            "SELECT request_hash, mutation_id FROM idempotency_keys WHERE scope = \(key.scope) AND key = \(key.key)"
        ).first {
            let (requestHash, existing) = try row.decode((String, String?).self)
            var error = StoreError(
                .idempotencyConflict,
                "idempotency key \(key.key.debugDescription) was already used"
                    + (requestHash == key.requestHash ? " for the same request" : " for a different request"),
                mutationID: mutationID)
            error.existingMutationID = existing
            error.requestMatches = requestHash == key.requestHash
            throw error
        }
        throw StoreError(.unavailable, "idempotency key \(key.key.debugDescription) was neither free nor taken; try again")
    }

    // MARK: The notification outbox

    private nonisolated(nonsending) func enqueue(_ notification: NewNotification) async throws {
        let targets = Array(Set(notification.targets)).sorted()
        guard !targets.isEmpty else {
            throw StoreError(.invalidArgument, "notification \(notification.id) has no target", mutationID: notification.mutationID)
        }
        let inserted = try await run(
            """
            INSERT INTO notification_events (id, kind, body, mutation_id, created_at)
            VALUES (\(notification.id), \(notification.kind), \(notification.body), \(notification.mutationID), \(timeMicros))
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """)
        guard inserted.count == 1 else {
            throw StoreError(.alreadyExists, "a notification with id \(notification.id) already exists")
        }
        for target in targets {
            try await run(
                """
                INSERT INTO notification_deliveries (event_id, target, status, attempts, next_attempt_at, updated_at)
                VALUES (\(notification.id), \(target), 'pending', 0, \(timeMicros), \(timeMicros))
                """)
        }
    }

    private nonisolated(nonsending) func updatePendingDelivery(
        _ id: Int64, status: NotificationDelivery.Status, attempts: Int?, nextAttempt: Date?, error: String?
    ) async throws {
        let updated = try await run(
            """
            UPDATE notification_deliveries SET status = \(status.rawValue), attempts = COALESCE(\(attempts.map(Int64.init)), attempts),
                next_attempt_at = COALESCE(\(nextAttempt?.microsecondsSince1970), next_attempt_at),
                last_error = COALESCE(\(error), last_error), updated_at = \(timeMicros)
            WHERE id = \(id) AND status = 'pending' RETURNING 1
            """)
        guard updated.count == 1 else {
            throw StoreError(.notFound, "there is no pending notification delivery \(id)")
        }
    }
}

/// The key of a row of `decision_distributions`.
private struct DistributionKey: Hashable {
    var hour: Int64
    var resource: String
    var dimension: String
    var bucket: String

    init(_ hour: Int64, _ resource: String, _ dimension: String, _ bucket: String) {
        self.hour = hour
        self.resource = resource
        self.dimension = dimension
        self.bucket = bucket
    }
}
