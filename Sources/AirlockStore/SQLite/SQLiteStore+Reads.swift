import AirlockCore
import Foundation
import GRDB

extension SQLiteStore {
    public func mutation(id: String) async throws -> MutationRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mutations WHERE id = ?"), arguments: [id]).map(
                MutationRecord.init(row:))
        }
    }

    public func mutations(_ query: MutationQuery) async throws -> [MutationRecord] {
        try await writer.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !query.statuses.isEmpty {
                conditions.append("status IN (\(query.statuses.map { _ in "?" }.joined(separator: ", ")))")
                for status in query.statuses.sorted(by: { $0.rawValue < $1.rawValue }) {
                    _ = arguments.append(contentsOf: [status.rawValue])
                }
            }
            if let actorID = query.actorID {
                conditions.append("actor_id = ?")
                _ = arguments.append(contentsOf: [actorID])
            }
            if let resource = query.resource {
                conditions.append("resource = ?")
                _ = arguments.append(contentsOf: [resource])
            }
            if let since = query.createdSince {
                conditions.append("created_at >= ?")
                _ = arguments.append(contentsOf: [since.microsecondsSince1970])
            }
            if let after = query.after {
                conditions.append(
                    "(created_at, id) > (SELECT created_at, id FROM mutations WHERE id = ?)")
                _ = arguments.append(contentsOf: [after])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [max(0, query.limit)])
            return try Row.fetchAll(
                db, sql: "SELECT * FROM mutations \(whereClause) ORDER BY created_at, id LIMIT ?", arguments: arguments
            ).map(MutationRecord.init(row:))
        }
    }

    public func mutationCounts() async throws -> [MutationStatus: Int] {
        try await writer.read { db in
            var counts: [MutationStatus: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT status, COUNT(*) FROM mutations GROUP BY status")) {
                if let status = MutationStatus(rawValue: row[0]) {
                    counts[status] = row[1]
                }
            }
            return counts
        }
    }

    public func transitions(mutationID: String) async throws -> [TransitionRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT mutation_id, from_status, to_status, at, actor, audit_seq FROM mutation_transitions
                    WHERE mutation_id = ? ORDER BY id
                    """), arguments: [mutationID]
            ).map { row in
                TransitionRecord(
                    mutationID: row[0], from: try Self.status(row[1]), to: try Self.status(row[2]),
                    at: Date(microsecondsSince1970: row[3]), actor: row[4], auditSeq: row[5])
            }
        }
    }

    public func review(id: String) async throws -> ReviewRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM reviews WHERE id = ?"), arguments: [id]).map(
                ReviewRecord.init(row:))
        }
    }

    public func reviews(mutationID: String) async throws -> [ReviewRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                // Of reviews opened in the same instant (one closed and the next opened in one
                // commit), the open one is the newest.
                db.cachedStatement(sql: "SELECT * FROM reviews WHERE mutation_id = ? ORDER BY opened_at, closed_at IS NULL, closed_at, id"),
                arguments: [mutationID]
            ).map(ReviewRecord.init(row:))
        }
    }

    public func reviewedMutation(id: String) async throws -> ReviewedMutation? {
        try await writer.read { db in
            guard let record = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mutations WHERE id = ?"), arguments: [id])
                .map(MutationRecord.init(row:))
            else { return nil }
            // The last in reviews(mutationID:)'s order: every key of that order reversed.
            let review = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT * FROM reviews WHERE mutation_id = ?
                    ORDER BY opened_at DESC, closed_at IS NULL DESC, closed_at DESC, id DESC LIMIT 1
                    """), arguments: [id]
            ).map(ReviewRecord.init(row:))
            var votes: [VoteRecord] = []
            if let review {
                votes = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM votes WHERE review_id = ? ORDER BY id"), arguments: [review.id])
                    .map(VoteRecord.init(row:))
            }
            return ReviewedMutation(record: record, review: review, votes: votes)
        }
    }

    public func openReviews(deadlineBefore: Date?) async throws -> [ReviewRecord] {
        try await writer.read { db in
            let rows =
                if let deadlineBefore {
                    try Row.fetchAll(
                        db.cachedStatement(sql: """
                            SELECT * FROM reviews WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= ?
                            ORDER BY deadline, id
                            """), arguments: [deadlineBefore.microsecondsSince1970])
                } else {
                    try Row.fetchAll(
                        db.cachedStatement(sql: """
                            SELECT * FROM reviews WHERE status = 'open'
                            ORDER BY deadline IS NULL, deadline, opened_at, id
                            """))
                }
            return try rows.map(ReviewRecord.init(row:))
        }
    }

    public func reviewQueue(pools: [String], reviewer: String, excludingActors: [String], limit: Int) async throws
        -> [ReviewQueueEntry]
    {
        guard !pools.isEmpty, limit > 0 else { return [] }
        let pools = Set(pools).sorted()
        let excluded = Array(Set(excludingActors)).sorted()
        let excludedMarks = excluded.isEmpty ? "" : "AND p.actor_id NOT IN (\(excluded.map { _ in "?" }.joined(separator: ", ")))"
        // Each pool's entries in queue order, walked by the index review_pools_queue up to the
        // limit; of their union, the first `limit` in queue order.
        let arm = """
            SELECT review_id FROM (
                SELECT p.review_id FROM review_pools p
                WHERE p.pool = ? \(excludedMarks)
                    AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.review_id = p.review_id AND v.reviewer = ?)
                ORDER BY p.no_deadline, p.deadline, p.opened_at, p.review_id
                LIMIT ?)
            """
        var arguments = StatementArguments()
        for pool in pools {
            arguments += [pool]
            arguments += StatementArguments(excluded)
            arguments += [reviewer, limit]
        }
        arguments += [limit]
        let bound = arguments
        let sql = """
            SELECT * FROM reviews WHERE id IN (\(pools.map { _ in arm }.joined(separator: " UNION ")))
            ORDER BY deadline IS NULL, deadline, opened_at, id
            LIMIT ?
            """
        return try await writer.read { db in
            let reviews = try Row.fetchAll(db, sql: sql, arguments: bound).map(ReviewRecord.init(row:))
            guard !reviews.isEmpty else { return [] }
            let marks = Array(repeating: "?", count: reviews.count).joined(separator: ", ")
            let mutations = try Row.fetchAll(
                db, sql: "SELECT * FROM mutations WHERE id IN (\(marks))",
                arguments: StatementArguments(reviews.map(\.mutationID))
            ).map(MutationRecord.init(row:))
            let votes = try Row.fetchAll(
                db, sql: "SELECT * FROM votes WHERE review_id IN (\(marks)) ORDER BY id", arguments: StatementArguments(reviews.map(\.id))
            ).map(VoteRecord.init(row:))
            return ReviewQueueEntry.entries(reviews, mutations: mutations, votes: votes)
        }
    }

    public func claimDueReviews(at time: Date, limit: Int, leaseUntil: Date) async throws -> [ReviewRecord] {
        let now = time.microsecondsSince1970
        return try await writer.write { db in
            let due = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM reviews
                    WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
                    ORDER BY deadline, id LIMIT ?
                    """), arguments: [now, now, max(0, limit)]
            ).map(ReviewRecord.init(row:))
            let lease = try db.cachedStatement(sql: "UPDATE reviews SET claimed_until = ? WHERE id = ?")
            for review in due { try lease.execute(arguments: [leaseUntil.microsecondsSince1970, review.id]) }
            return due
        }
    }

    public func claimStaleMutations(
        statuses: [MutationStatus], updatedBefore: Date, at time: Date, limit: Int, leaseUntil: Date
    ) async throws -> [MutationRecord] {
        guard !statuses.isEmpty else { return [] }
        let now = time.microsecondsSince1970
        let names = statuses.map(\.rawValue).sorted()
        return try await writer.write { db in
            let stale = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM mutations
                    WHERE status IN (\(names.map { _ in "?" }.joined(separator: ", "))) AND updated_at <= ?
                        AND (claimed_until IS NULL OR claimed_until <= ?)
                    ORDER BY created_at, id LIMIT ?
                    """, arguments: StatementArguments(names) + [updatedBefore.microsecondsSince1970, now, max(0, limit)]
            ).map(MutationRecord.init(row:))
            let lease = try db.cachedStatement(sql: "UPDATE mutations SET claimed_until = ? WHERE id = ?")
            for mutation in stale { try lease.execute(arguments: [leaseUntil.microsecondsSince1970, mutation.id]) }
            return stale
        }
    }

    public func nextReviewDeadline() async throws -> Date? {
        try await writer.read { db in
            // The partial index reviews_open_by_deadline answers this with its first entry.
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT deadline FROM reviews WHERE status = 'open' AND deadline IS NOT NULL ORDER BY deadline LIMIT 1"))
        }.map(Date.init(microsecondsSince1970:))
    }

    public func nextReviewDeadline(after date: Date) async throws -> Date? {
        try await writer.read { db in
            // A range seek on the partial index reviews_open_by_deadline.
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT deadline FROM reviews WHERE status = 'open' AND deadline > ? ORDER BY deadline LIMIT 1"),
                arguments: [date.microsecondsSince1970])
        }.map(Date.init(microsecondsSince1970:))
    }

    public func votes(reviewID: String) async throws -> [VoteRecord] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM votes WHERE review_id = ? ORDER BY id"), arguments: [reviewID])
                .map(VoteRecord.init(row:))
        }
    }

    public func activePolicyVersion() async throws -> PolicyVersionRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM policy_versions WHERE is_active = 1"))
                .map(PolicyVersionRecord.init(row:))
        }
    }

    public func policyVersion(hash: String) async throws -> PolicyVersionRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM policy_versions WHERE hash = ?"), arguments: [hash])
                .map(PolicyVersionRecord.init(row:))
        }
    }

    public func policyVersions() async throws -> [PolicyVersionRecord] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM policy_versions ORDER BY position"))
                .map(PolicyVersionRecord.init(row:))
        }
    }

    public func signalState(key: String) async throws -> Data? {
        try await writer.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT blob FROM signal_state WHERE key = ?"), arguments: [key])
        }
    }

    public func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT scope, key, request_hash, mutation_id, created_at FROM idempotency_keys
                    WHERE scope = ? AND key = ?
                    """), arguments: [scope, key]
            ).map { row in
                IdempotencyRecord(
                    key: IdempotencyKey(scope: row[0], key: row[1], requestHash: row[2]), mutationID: row[3],
                    createdAt: Date(microsecondsSince1970: row[4]))
            }
        }
    }

    public func executedChange(mutationID: String) async throws -> ExecutedChangeRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT mutation_id, change, at FROM executed_changes WHERE mutation_id = ?"), arguments: [mutationID]
            ).map { row in
                ExecutedChangeRecord(mutationID: row[0], change: row[1], at: Date(microsecondsSince1970: row[2]))
            }
        }
    }

    static func status(_ raw: String) throws -> MutationStatus {
        guard let status = MutationStatus(rawValue: raw) else {
            throw StoreError(.corrupted, "unknown mutation status \(raw.debugDescription) in the database")
        }
        return status
    }
}

extension MutationRecord {
    init(row: Row) throws {
        self.init(
            id: row["id"], status: try SQLiteStore.status(row["status"]), tier: row["tier"], resource: row["resource"],
            operation: row["operation"], actorID: row["actor_id"], policyVersion: row["policy_version"],
            document: row["document"], decision: row["decision"], contentHash: row["content_hash"],
            idempotencyKey: row["idempotency_key"], requestHash: row["request_hash"],
            createdAt: Date(microsecondsSince1970: row["created_at"]),
            updatedAt: Date(microsecondsSince1970: row["updated_at"]), revision: row["revision"],
            beforeValues: row["before_values"], rollbackAttempts: row["rollback_attempts"], revisionOf: row["revision_of"],
            supersededBy: row["superseded_by"], revisedBy: row["revised_by"])
    }
}

extension ReviewRecord {
    init(row: Row) throws {
        let groupsText: String = row["groups"]
        let modeText: String = row["mode"]
        let statusText: String = row["status"]
        guard let mode = ReviewMode(rawValue: modeText), let status = ReviewStatus(rawValue: statusText) else {
            throw StoreError(.corrupted, "review \(row["id"] as String) has an unknown mode or status")
        }
        let deadline: Int64? = row["deadline"]
        let closedAt: Int64? = row["closed_at"]
        self.init(
            id: row["id"], mutationID: row["mutation_id"], mode: mode, status: status,
            groups: try JSONDecoder().decode([ApprovalGroup].self, from: Data(groupsText.utf8)),
            rejectAfter: row["reject_after"], deadline: deadline.map(Date.init(microsecondsSince1970:)),
            escalations: row["escalations"], openedAt: Date(microsecondsSince1970: row["opened_at"]),
            closedAt: closedAt.map(Date.init(microsecondsSince1970:)))
    }
}

extension VoteRecord {
    init(row: Row) throws {
        let decisionText: String = row["decision"]
        guard let decision = VoteDecision(rawValue: decisionText) else {
            throw StoreError(.corrupted, "a vote has the unknown decision \(decisionText.debugDescription)")
        }
        self.init(
            reviewID: row["review_id"], mutationID: row["mutation_id"], reviewer: row["reviewer"], decision: decision,
            note: row["note"], contentHash: row["content_hash"], policyVersion: row["policy_version"],
            pool: row["pool"],
            at: Date(microsecondsSince1970: row["at"]), auditSeq: row["audit_seq"])
    }
}

extension PolicyVersionRecord {
    init(row: Row) {
        let activatedAt: Int64? = row["activated_at"]
        self.init(
            name: row["name"], hash: row["hash"], text: row["text"],
            createdAt: Date(microsecondsSince1970: row["created_at"]),
            createdBy: row["created_by"], activatedAt: activatedAt.map(Date.init(microsecondsSince1970:)),
            activatedBy: row["activated_by"], isActive: row["is_active"])
    }
}
