import AirlockCore
import Foundation
import GRDB

/// The notification outbox's writes.
extension SQLiteChangeApplier {
    func enqueue(_ notification: NewNotification) throws {
        let targets = Array(Set(notification.targets)).sorted()
        guard !targets.isEmpty else {
            throw StoreError(
                .invalidArgument, "notification \(notification.id) has no target", mutationID: notification.mutationID)
        }
        do {
            try db.cachedStatement(
                sql: "INSERT INTO notification_events (id, kind, body, mutation_id, created_at) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [notification.id, notification.kind, notification.body, notification.mutationID, timeMicros])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError(.alreadyExists, "a notification with id \(notification.id) already exists")
        }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO notification_deliveries (event_id, target, status, attempts, next_attempt_at, updated_at)
                VALUES (?, ?, 'pending', 0, ?, ?)
                """)
        for target in targets {
            try insert.execute(arguments: [notification.id, target, timeMicros, timeMicros])
        }
    }

    /// Moves a pending delivery on; refused when there is no pending delivery with that id (it was
    /// delivered or given up on meanwhile), so that nothing is marked twice.
    func updatePendingDelivery(
        _ id: Int64, status: NotificationDelivery.Status, attempts: Int?, nextAttempt: Date?, error: String?
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE notification_deliveries SET status = ?, attempts = COALESCE(?, attempts),
                    next_attempt_at = COALESCE(?, next_attempt_at), last_error = COALESCE(?, last_error), updated_at = ?
                WHERE id = ? AND status = 'pending'
                """
        ).execute(arguments: [status.rawValue, attempts, nextAttempt?.microsecondsSince1970, error, timeMicros, id])
        guard db.changesCount == 1 else {
            throw StoreError(.notFound, "there is no pending notification delivery \(id)")
        }
    }
}
