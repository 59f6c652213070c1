import AirlockCore
import CEL
import Foundation
import GRDB

/// The row of `airlock_applied` that says a mutation was applied to this database, written in
/// the same transaction as the change: what reconciliation looks for after a crash, and what a
/// rollback restores from.
struct SQLAppliedMarker: Sendable {
    static let table = "airlock_applied"

    var mutationID: String
    var resource: String
    var tableName: String
    var target: String
    var operation: String
    /// Every stored column of the row before the change; `nil` for a create.
    var before: SQLRowImage?
    /// Every stored column of the row after the change; `nil` for a delete.
    var after: SQLRowImage?
    var appliedAt: Date
    var rolledBackAt: Date?

    /// Creates the marker table when the database has none.
    static func createTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(table) (
                    mutation_id TEXT PRIMARY KEY NOT NULL,
                    resource TEXT NOT NULL,
                    table_name TEXT NOT NULL,
                    target TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    before_image TEXT,
                    after_image TEXT,
                    applied_at TEXT NOT NULL,
                    rolled_back_at TEXT
                )
                """)
    }

    static func fetch(_ db: Database, mutationID: String) throws -> SQLAppliedMarker? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE mutation_id = ?", arguments: [mutationID])
        else { return nil }
        let beforeText: String? = row["before_image"]
        let afterText: String? = row["after_image"]
        let rolledBack: String? = row["rolled_back_at"]
        return SQLAppliedMarker(
            mutationID: row["mutation_id"], resource: row["resource"], tableName: row["table_name"], target: row["target"],
            operation: row["operation"], before: beforeText.flatMap(SQLRowImage.init(text:)),
            after: afterText.flatMap(SQLRowImage.init(text:)), appliedAt: Self.date(row["applied_at"]) ?? .distantPast,
            rolledBackAt: rolledBack.flatMap(Self.date))
    }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO \(Self.table)
                    (mutation_id, resource, table_name, target, operation, before_image, after_image, applied_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                mutationID, resource, tableName, target, operation, before?.text, after?.text, Self.text(appliedAt),
            ])
    }

    static func markRolledBack(_ db: Database, mutationID: String, at time: Date) throws {
        try db.execute(
            sql: "UPDATE \(table) SET rolled_back_at = ? WHERE mutation_id = ?", arguments: [text(time), mutationID])
    }

    private static func text(_ date: Date) -> String {
        RFC3339.format(Gateway.timestamp(date))
    }

    private static func date(_ text: String) -> Date? {
        RFC3339.parse(text).map { Date(timeIntervalSince1970: Double($0.seconds) + Double($0.nanos) / 1e9) }
    }
}
