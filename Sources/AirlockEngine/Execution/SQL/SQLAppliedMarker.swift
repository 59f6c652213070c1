import AirlockCore
import CEL
import Foundation
import GRDB

/// A row of `airlock_applied` saying that a mutation changed one record of this database,
/// written in the same transaction as the change: what reconciliation looks for after a crash,
/// and what a rollback restores from. A bulk mutation has one marker per record, all written in
/// its one transaction, so they exist all together or not at all.
struct SQLAppliedMarker: Sendable {
    static let table = "airlock_applied"

    var mutationID: String
    /// The record's place in the mutation's list of targets, from 0.
    var position: Int
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

    /// Creates the marker table when the database has none, and upgrades one of the earlier form
    /// (one row per mutation, keyed by `mutation_id` alone) to one row per record.
    ///
    /// The table lives in a database Airlock does not own, so it is not put under a
    /// `DatabaseMigrator` (whose `grdb_migrations` table the database's own application may use).
    static func createTable(_ db: Database) throws {
        let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
        if !columns.isEmpty, !columns.contains("position") {
            try upgradeSingleRecordTable(db)
            return
        }
        try db.execute(sql: createSQL(table))
    }

    private static func createSQL(_ name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name) (
            mutation_id TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            resource TEXT NOT NULL,
            table_name TEXT NOT NULL,
            target TEXT NOT NULL,
            operation TEXT NOT NULL,
            before_image TEXT,
            after_image TEXT,
            applied_at TEXT NOT NULL,
            rolled_back_at TEXT,
            PRIMARY KEY (mutation_id, position)
        )
        """
    }

    /// Rebuilds a table of the earlier form (SQLite cannot change a primary key in place): every
    /// marker becomes the record at position 0 of its mutation.
    private static func upgradeSingleRecordTable(_ db: Database) throws {
        let kept =
            "mutation_id, resource, table_name, target, operation, before_image, after_image, applied_at, rolled_back_at"
        try db.execute(sql: createSQL("airlock_applied_upgrade"))
        try db.execute(sql: "INSERT INTO airlock_applied_upgrade (\(kept)) SELECT \(kept) FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE airlock_applied_upgrade RENAME TO \(table)")
    }

    /// Every marker of a mutation, in the order of its targets; empty when it was not applied here.
    static func fetchAll(_ db: Database, mutationID: String) throws -> [SQLAppliedMarker] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM \(table) WHERE mutation_id = ? ORDER BY position", arguments: [mutationID]
        ).map { row in
            let beforeText: String? = row["before_image"]
            let afterText: String? = row["after_image"]
            let rolledBack: String? = row["rolled_back_at"]
            return SQLAppliedMarker(
                mutationID: row["mutation_id"], position: row["position"], resource: row["resource"],
                tableName: row["table_name"], target: row["target"], operation: row["operation"],
                before: beforeText.flatMap(SQLRowImage.init(text:)), after: afterText.flatMap(SQLRowImage.init(text:)),
                appliedAt: Self.date(row["applied_at"]) ?? .distantPast, rolledBackAt: rolledBack.flatMap(Self.date))
        }
    }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO \(Self.table)
                    (mutation_id, position, resource, table_name, target, operation, before_image, after_image,
                     applied_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                mutationID, position, resource, tableName, target, operation, before?.text, after?.text,
                Self.text(appliedAt),
            ])
    }

    /// Marks every record of a mutation rolled back.
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
