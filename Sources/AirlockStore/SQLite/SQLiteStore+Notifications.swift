import Foundation
import GRDB

/// The notification outbox's reads: each answered from the index of pending deliveries by target
/// and due time, never by scanning the outbox.
extension SQLiteStore {
    private static let deliveryColumns = """
        d.id, d.event_id, e.kind, e.body, e.mutation_id, d.target, d.status, d.attempts, d.next_attempt_at,
        d.last_error, e.created_at, d.updated_at
        """

    public func dueNotifications(target: String, at time: Date, limit: Int) async throws -> [NotificationDelivery] {
        try await writer.read { db in try Self.due(db, target: target, at: time, limit: limit) }
    }

    /// A target's pending deliveries due by `time`, earliest first.
    private static func due(_ db: Database, target: String, at time: Date, limit: Int) throws -> [NotificationDelivery] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(deliveryColumns) FROM notification_deliveries d
                    JOIN notification_events e ON e.id = d.event_id
                    WHERE d.status = 'pending' AND d.target = ? AND d.next_attempt_at <= ?
                    ORDER BY d.next_attempt_at, d.id LIMIT ?
                    """), arguments: [target, time.microsecondsSince1970, max(0, limit)]
        ).map(delivery(row:))
    }

    public func claimDueNotifications(target: String, at time: Date, limit: Int, leaseUntil: Date) async throws
        -> [NotificationDelivery]
    {
        try await writer.write { db in
            let due = try Self.due(db, target: target, at: time, limit: limit)
            let lease = try db.cachedStatement(sql: "UPDATE notification_deliveries SET next_attempt_at = ? WHERE id = ?")
            for delivery in due { try lease.execute(arguments: [leaseUntil.microsecondsSince1970, delivery.id]) }
            return due
        }
    }

    public func nextNotificationDue(target: String) async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT next_attempt_at FROM notification_deliveries
                        WHERE status = 'pending' AND target = ? ORDER BY next_attempt_at LIMIT 1
                        """), arguments: [target]
            ).map(Date.init(microsecondsSince1970:))
        }
    }

    public func pendingNotificationTargets() async throws -> Set<String> {
        try await writer.read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT target FROM notification_deliveries WHERE status = 'pending'")))
        }
    }

    public func notificationDeliveries(eventID: String) async throws -> [NotificationDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.deliveryColumns) FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id
                    WHERE d.event_id = ? ORDER BY d.target
                    """, arguments: [eventID]
            ).map(Self.delivery(row:))
        }
    }

    public func notificationDeliveries(mutationID: String) async throws -> [NotificationDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.deliveryColumns) FROM notification_events e JOIN notification_deliveries d ON d.event_id = e.id
                    WHERE e.mutation_id = ? ORDER BY e.created_at, d.id
                    """, arguments: [mutationID]
            ).map(Self.delivery(row:))
        }
    }

    private static func delivery(row: Row) throws -> NotificationDelivery {
        let raw: String = row[6]
        guard let status = NotificationDelivery.Status(rawValue: raw) else {
            throw StoreError(.corrupted, "notification delivery \(row[0] as Int64) has an unknown status '\(raw)'")
        }
        return NotificationDelivery(
            id: row[0], eventID: row[1], kind: row[2], body: row[3], mutationID: row[4], target: row[5], status: status,
            attempts: row[7], nextAttemptAt: Date(microsecondsSince1970: row[8]), lastError: row[9],
            createdAt: Date(microsecondsSince1970: row[10]), updatedAt: Date(microsecondsSince1970: row[11]))
    }
}
