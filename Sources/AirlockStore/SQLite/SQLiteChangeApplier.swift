import AirlockCore
import Crypto
import Foundation
import GRDB

/// Applies the operations of one ``StoreChange`` inside a savepoint of a group commit, enforcing
/// what the store promises (lifecycle, expected status, one vote per reviewer, …).
struct SQLiteChangeApplier {
    let db: Database
    let timeMicros: Int64
    let auditTimeMicros: Int64
    private var records: [AuditRecord] = []

    init(db: Database, time: Date, auditTimeMicros: Int64) {
        self.db = db
        self.timeMicros = time.microsecondsSince1970
        self.auditTimeMicros = auditTimeMicros
    }

    /// Applies the operations in order and returns the audit records they appended.
    mutating func apply(_ operations: [StoreChange.Operation], appender: inout AuditAppender) throws -> [AuditRecord] {
        var index = operations.startIndex
        while index < operations.endIndex {
            let operation = operations[index]
            index += 1
            switch operation {
            case .createMutation(let mutation, let audit):
                // A submission creates its mutation and moves it out of `received` in the same
                // change: write the row once, as it ends, rather than inserting and rewriting it.
                if index < operations.endIndex,
                    case .transition(let id, .received, let to, let update, let decided) = operations[index],
                    id == mutation.id
                {
                    index += 1
                    try Self.checkTransition(id, from: .received, to: to) { .received }
                    try createMutation(mutation, status: to, update: update)
                    try append(audit, mutationID: mutation.id, appender: &appender)
                    try recordTransition(id, from: .received, to: to, audit: decided, appender: &appender)
                } else {
                    try createMutation(mutation, status: .received, update: MutationUpdate())
                    try append(audit, mutationID: mutation.id, appender: &appender)
                }
            case .expectRevision(let id, let revision):
                try expectRevision(id, revision)
            case .transition(let id, let from, let to, let update, let audit):
                try transition(id, from: from, to: to, update: update)
                try recordTransition(id, from: from, to: to, audit: audit, appender: &appender)
            case .recordDecision(let id, let status, let update, let audit):
                try db.cachedStatement(
                    sql: """
                        UPDATE mutations SET tier = COALESCE(?, tier), policy_version = COALESCE(?, policy_version),
                            decision = COALESCE(?, decision), updated_at = ?, revision = revision + 1
                        WHERE id = ? AND status = ?
                        """
                ).execute(arguments: [update.tier, update.policyVersion, update.decision, timeMicros, id, status.rawValue])
                guard db.changesCount == 1 else {
                    guard let current = try currentStatus(of: id) else {
                        throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
                    }
                    var error = StoreError(
                        .statusMismatch, "mutation \(id) is \(current), not \(status): its decision was not replaced", mutationID: id)
                    error.currentStatus = current
                    throw error
                }
                try append(audit, mutationID: id, appender: &appender)
            case .openReview(let review, let audit):
                try openReview(review)
                try append(audit, mutationID: review.mutationID, appender: &appender)
            case .escalateReview(let id, let groups, let deadline, let from, let audit):
                let mutationID = try escalateReview(id, groups: groups, deadline: deadline, from: from)
                try append(audit, mutationID: mutationID, appender: &appender)
            case .closeReview(let id, let status, let audit):
                let mutationID = try closeReview(id, status: status)
                try append(audit, mutationID: mutationID, appender: &appender)
            case .castVote(let vote, let audit):
                let mutationID = try checkVote(vote)
                let record = try append(audit, mutationID: mutationID, appender: &appender)
                try db.cachedStatement(
                    sql: """
                        INSERT INTO votes (review_id, mutation_id, reviewer, decision, note, content_hash,
                            policy_version, pool, at, audit_seq)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    vote.reviewID, mutationID, vote.reviewer, vote.decision.rawValue, vote.note, vote.contentHash,
                    vote.policyVersion, vote.pool, timeMicros, record.seq,
                ])
            case .recordPolicyVersion(let version):
                try recordPolicyVersion(version)
            case .activatePolicyVersion(let hash, let principal, var audit):
                try activatePolicyVersion(hash: hash, by: principal)
                audit.policyVersion = audit.policyVersion ?? hash
                try append(audit, mutationID: audit.mutationID, appender: &appender)
            case .saveSignalState(let key, let blob):
                try db.cachedStatement(
                    sql: """
                        INSERT INTO signal_state (key, blob, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at
                        """
                ).execute(arguments: [key, blob, timeMicros])
            case .rememberIdempotencyKey(let key, let mutationID):
                try reserve(key, mutationID: mutationID)
            case .forgetIdempotencyKeys(let before):
                try db.cachedStatement(sql: "DELETE FROM idempotency_keys WHERE created_at < ?")
                    .execute(arguments: [before.microsecondsSince1970])
            case .appendAudit(let audit):
                try append(audit, mutationID: audit.mutationID, appender: &appender)
            case .recordExecutedChange(let mutationID, let change):
                guard try currentStatus(of: mutationID) != nil else {
                    throw StoreError(.notFound, "there is no mutation \(mutationID)", mutationID: mutationID)
                }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO executed_changes (mutation_id, change, at) VALUES (?, ?, ?)
                        ON CONFLICT (mutation_id) DO UPDATE SET change = excluded.change, at = excluded.at
                        """
                ).execute(arguments: [mutationID, change, timeMicros])
            case .setFreeze(let freeze, let audit):
                let value = try FreezeValue(on: freeze.on, reason: freeze.reason).json()
                try db.cachedStatement(
                    sql: """
                        INSERT INTO system_settings (key, value, updated_at, updated_by) VALUES ('freeze', ?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                            updated_by = excluded.updated_by
                        """
                ).execute(arguments: [
                    value, freeze.since.microsecondsSince1970, freeze.by,
                ])
                try append(audit, mutationID: audit.mutationID, appender: &appender)
            case .enqueueNotification(let notification):
                try enqueue(notification)
            case .markNotificationDelivered(let id):
                try updatePendingDelivery(id, status: .delivered, attempts: nil, nextAttempt: nil, error: nil)
            case .rescheduleNotification(let id, let attempts, let next, let error):
                try updatePendingDelivery(id, status: .pending, attempts: attempts, nextAttempt: next, error: error)
            case .failNotification(let id, let attempts, let error):
                try updatePendingDelivery(id, status: .failed, attempts: attempts, nextAttempt: nil, error: error)
            case .setShadow(let shadow, let audit):
                if let shadow {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO system_settings (key, value, updated_at, updated_by) VALUES ('shadow', ?, ?, ?)
                            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                updated_by = excluded.updated_by
                            """
                    ).execute(arguments: [shadow.version, shadow.since.microsecondsSince1970, shadow.by])
                } else {
                    try db.cachedStatement(sql: "DELETE FROM system_settings WHERE key = 'shadow'").execute()
                }
                try append(audit, mutationID: audit.mutationID, appender: &appender)
            case .recordShadowResult(let result):
                try recordShadowResult(result)
            case .addDistributionCounts(let counts):
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO decision_distributions (hour, resource, dimension, bucket, count) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (hour, resource, dimension, bucket) DO UPDATE SET count = count + excluded.count
                        """)
                for count in counts {
                    try statement.execute(arguments: [
                        count.hour.microsecondsSince1970, count.resource, count.dimension, count.bucket, count.count,
                    ])
                }
            }
        }
        return records
    }

    private func recordShadowResult(_ result: ShadowResult) throws {
        func list(_ names: [String]) throws -> String {
            String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO shadow_results (mutation_id, shadow_version, active_version, at, resource, active_tier, shadow_tier,
                    active_rules, shadow_rules, shadow_decision)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (mutation_id) DO UPDATE SET shadow_version = excluded.shadow_version,
                    active_version = excluded.active_version, at = excluded.at, resource = excluded.resource,
                    active_tier = excluded.active_tier, shadow_tier = excluded.shadow_tier, active_rules = excluded.active_rules,
                    shadow_rules = excluded.shadow_rules, shadow_decision = excluded.shadow_decision
                """
        ).execute(arguments: [
            result.mutationID, result.shadowVersion, result.activeVersion, result.at.microsecondsSince1970, result.resource,
            result.activeTier, result.shadowTier, try list(result.activeRules), try list(result.shadowRules), result.shadowDecision,
        ])
    }

    /// Appends a transition's audit record and its row in `mutation_transitions`.
    private mutating func recordTransition(
        _ id: String, from: MutationStatus, to: MutationStatus, audit: AuditEntry, appender: inout AuditAppender
    ) throws {
        let record = try append(audit, mutationID: id, appender: &appender)
        try db.cachedStatement(
            sql: """
                INSERT INTO mutation_transitions (mutation_id, from_status, to_status, at, actor, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [id, from.rawValue, to.rawValue, timeMicros, audit.actor, record.seq])
    }

    @discardableResult
    private mutating func append(
        _ entry: AuditEntry, mutationID: String?, appender: inout AuditAppender
    ) throws -> AuditRecord {
        var entry = entry
        entry.mutationID = mutationID
        let record = try appender.append(entry, timeMicros: auditTimeMicros, db: db)
        records.append(record)
        return record
    }

    // MARK: Mutations

    /// Inserts a new mutation in `status` (`received`, or where the same change moves it).
    private func createMutation(_ mutation: NewMutation, status: MutationStatus, update: MutationUpdate) throws {
        if let key = mutation.idempotency {
            try reserve(key, mutationID: mutation.id)
        }
        let contentHash = mutation.contentHash
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO mutations (id, status, tier, resource, operation, actor_id, policy_version, document,
                        decision, content_hash, idempotency_key, request_hash, created_at, updated_at, revision,
                        before_values, rollback_attempts, revision_of, revised_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
                    """
            ).execute(arguments: [
                mutation.id, status.rawValue, update.tier, mutation.resource, mutation.operation, mutation.actorID,
                update.policyVersion, mutation.document, update.decision, contentHash, mutation.idempotency?.key,
                mutation.idempotency?.requestHash, timeMicros, timeMicros, status == .received ? 0 : 1,
                update.beforeValues, mutation.revisionOf, mutation.revisedBy,
            ])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError(
                .alreadyExists, "a mutation with id \(mutation.id) already exists", mutationID: mutation.id)
        }
    }

    /// Refuses a move the lifecycle does not allow; the refusal carries the status `current` reads.
    private static func checkTransition(
        _ id: String, from: MutationStatus, to: MutationStatus, current: () throws -> MutationStatus?
    ) throws {
        do {
            _ = try from.transition(to: to)
        } catch {
            var refusal = StoreError(.transitionNotAllowed, "mutation \(id): \(error)", mutationID: id)
            refusal.currentStatus = try current()
            throw refusal
        }
    }

    private func transition(_ id: String, from: MutationStatus, to: MutationStatus, update: MutationUpdate) throws {
        try Self.checkTransition(id, from: from, to: to) { try currentStatus(of: id) }
        try db.cachedStatement(
            sql: """
                UPDATE mutations SET status = ?, tier = COALESCE(?, tier),
                    policy_version = COALESCE(?, policy_version), decision = COALESCE(?, decision),
                    before_values = COALESCE(?, before_values), superseded_by = COALESCE(?, superseded_by), updated_at = ?,
                    revision = revision + 1, rollback_attempts = rollback_attempts + ?
                WHERE id = ? AND status = ?
                """
        ).execute(arguments: [
            to.rawValue, update.tier, update.policyVersion, update.decision, update.beforeValues, update.supersededBy, timeMicros,
            to == .rollingBack ? 1 : 0, id, from.rawValue,
        ])
        guard db.changesCount == 1 else {
            guard let current = try currentStatus(of: id) else {
                throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
            }
            var error = StoreError(
                .statusMismatch, "mutation \(id) is \(current), not \(from): it cannot move to \(to)", mutationID: id)
            error.currentStatus = current
            throw error
        }
    }

    private func expectRevision(_ id: String, _ revision: Int) throws {
        try db.cachedStatement(sql: "UPDATE mutations SET revision = revision + 1 WHERE id = ? AND revision = ?")
            .execute(arguments: [id, revision])
        guard db.changesCount == 1 else {
            guard let current = try currentStatus(of: id) else {
                throw StoreError(.notFound, "there is no mutation \(id)", mutationID: id)
            }
            var error = StoreError(.statusMismatch, "mutation \(id) changed since it was read (it is \(current) now)", mutationID: id)
            error.currentStatus = current
            throw error
        }
    }

    private func currentStatus(of id: String) throws -> MutationStatus? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM mutations WHERE id = ?"), arguments: [id])
            .flatMap(MutationStatus.init(rawValue:))
    }

    // MARK: Reviews and votes

    private func openReview(_ review: NewReview) throws {
        guard !review.groups.isEmpty, review.groups.allSatisfy({ $0.count >= 1 }), review.rejectAfter >= 1 else {
            throw StoreError(
                .invalidArgument, "review \(review.id) needs at least one group, counts and reject_after of 1 or more",
                mutationID: review.mutationID)
        }
        guard try currentStatus(of: review.mutationID) != nil else {
            throw StoreError(.notFound, "there is no mutation \(review.mutationID)", mutationID: review.mutationID)
        }
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM reviews WHERE id = ?"), arguments: [review.id])
            == true
        {
            throw StoreError(
                .alreadyExists, "a review with id \(review.id) already exists", mutationID: review.mutationID)
        }
        if let open = try String.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM reviews WHERE mutation_id = ? AND status = 'open'"),
            arguments: [review.mutationID])
        {
            throw StoreError(
                .alreadyExists, "mutation \(review.mutationID) already has an open review (\(open))",
                mutationID: review.mutationID)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO reviews (id, mutation_id, mode, status, groups, reject_after, deadline, escalations,
                    opened_at, closed_at)
                VALUES (?, ?, ?, 'open', ?, ?, ?, 0, ?, NULL)
                """
        ).execute(arguments: [
            review.id, review.mutationID, review.mode.rawValue, try Self.encode(review.groups), review.rejectAfter,
            review.deadline?.microsecondsSince1970, timeMicros,
        ])
    }

    private func openReviewMutation(_ reviewID: String) throws -> String {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT mutation_id, status FROM reviews WHERE id = ?"), arguments: [reviewID])
        else {
            throw StoreError(.notFound, "there is no review \(reviewID)")
        }
        let mutationID: String = row[0]
        let status: String = row[1]
        guard status == ReviewStatus.open.rawValue else {
            throw StoreError(.reviewNotOpen, "review \(reviewID) is \(status), not open", mutationID: mutationID)
        }
        return mutationID
    }

    private func escalateReview(_ id: String, groups: [ApprovalGroup], deadline: Date?, from: Int?) throws -> String {
        let mutationID = try openReviewMutation(id)
        guard !groups.isEmpty, groups.allSatisfy({ $0.count >= 1 }) else {
            throw StoreError(.invalidArgument, "an escalation needs at least one group with a count of 1 or more")
        }
        try db.cachedStatement(
            sql: """
                UPDATE reviews SET groups = ?, deadline = ?, escalations = escalations + 1, claimed_until = NULL
                WHERE id = ? AND escalations = COALESCE(?, escalations)
                """
        ).execute(arguments: [try Self.encode(groups), deadline?.microsecondsSince1970, id, from])
        guard db.changesCount == 1 else {
            throw StoreError(
                .votesChanged, "review \(id) was escalated meanwhile (not \(from ?? 0) escalations any more)", mutationID: mutationID)
        }
        return mutationID
    }

    private func closeReview(_ id: String, status: ReviewStatus) throws -> String {
        guard status != .open else {
            throw StoreError(.invalidArgument, "a review cannot be closed as open")
        }
        let mutationID = try openReviewMutation(id)
        try db.cachedStatement(sql: "UPDATE reviews SET status = ?, closed_at = ?, claimed_until = NULL WHERE id = ?")
            .execute(arguments: [status.rawValue, timeMicros, id])
        return mutationID
    }

    private func checkVote(_ vote: NewVote) throws -> String {
        let mutationID = try openReviewMutation(vote.reviewID)
        let requester = try String.fetchOne(
            db.cachedStatement(sql: "SELECT actor_id FROM mutations WHERE id = ?"), arguments: [mutationID])
        guard requester != vote.reviewer else {
            throw StoreError(
                .requesterCannotVote, "\(vote.reviewer) requested mutation \(mutationID) and cannot vote on it",
                mutationID: mutationID)
        }
        if try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM votes WHERE mutation_id = ? AND reviewer = ?"),
            arguments: [mutationID, vote.reviewer]) == true
        {
            throw StoreError(
                .duplicateVote, "\(vote.reviewer) already voted on mutation \(mutationID)", mutationID: mutationID)
        }
        if let expected = vote.escalationsBefore {
            let escalations = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT escalations FROM reviews WHERE id = ?"), arguments: [vote.reviewID]) ?? 0
            guard escalations == expected else {
                throw StoreError(
                    .votesChanged, "review \(vote.reviewID) was escalated since the vote was read: its pools changed",
                    mutationID: mutationID)
            }
        }
        if let expected = vote.votesBefore {
            let count = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM votes WHERE review_id = ?"), arguments: [vote.reviewID]) ?? 0
            guard count == expected else {
                throw StoreError(
                    .votesChanged,
                    "review \(vote.reviewID) has \(count) vote(s), not the \(expected) the vote was settled from",
                    mutationID: mutationID)
            }
        }
        return mutationID
    }

    // MARK: Policy versions and idempotency keys

    private func recordPolicyVersion(_ version: NewPolicyVersion) throws {
        if let text = try String.fetchOne(
            db.cachedStatement(sql: "SELECT text FROM policy_versions WHERE hash = ?"), arguments: [version.hash])
        {
            guard text == version.text else {
                throw StoreError(
                    .policyConflict, "policy version \(version.hash) is already stored with a different text")
            }
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO policy_versions (hash, name, text, created_at, created_by, is_active, position)
                VALUES (?, ?, ?, ?, ?, 0, (SELECT COALESCE(MAX(position), 0) + 1 FROM policy_versions))
                """
        ).execute(arguments: [version.hash, version.name, version.text, timeMicros, version.createdBy])
    }

    private func activatePolicyVersion(hash: String, by principal: String) throws {
        guard
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM policy_versions WHERE hash = ?"), arguments: [hash]) == true
        else {
            throw StoreError(.notFound, "there is no policy version \(hash); record it before activating it")
        }
        try db.cachedStatement(sql: "UPDATE policy_versions SET is_active = 0 WHERE is_active = 1").execute()
        try db.cachedStatement(
            sql: "UPDATE policy_versions SET is_active = 1, activated_at = ?, activated_by = ? WHERE hash = ?"
        ).execute(arguments: [timeMicros, principal, hash])
    }

    private func reserve(_ key: IdempotencyKey, mutationID: String?) throws {
        if let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT request_hash, mutation_id FROM idempotency_keys WHERE scope = ? AND key = ?"),
            arguments: [key.scope, key.key])
        {
            let requestHash: String = row[0]
            var error = StoreError(
                .idempotencyConflict,
                "idempotency key \(key.key.debugDescription) was already used"
                    + (requestHash == key.requestHash ? " for the same request" : " for a different request"),
                mutationID: mutationID)
            error.existingMutationID = row[1]
            error.requestMatches = requestHash == key.requestHash
            throw error
        }
        try db.cachedStatement(
            sql:
                "INSERT INTO idempotency_keys (scope, key, request_hash, mutation_id, created_at) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [key.scope, key.key, key.requestHash, mutationID, timeMicros])
    }

    static func encode(_ groups: [ApprovalGroup]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(groups), as: UTF8.self)
    }
}
