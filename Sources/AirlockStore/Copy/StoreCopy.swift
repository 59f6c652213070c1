import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO

/// Copies a SQLite store into an empty PostgreSQL one, row for row: the audit log with its hashes,
/// checkpoints and head exactly as they are, so that the copy verifies under the same key
/// (`airlock store copy`). Nothing is decided or appended: the copy is the same history.
public enum StoreCopy {
    /// How a column is read from SQLite and bound for PostgreSQL.
    enum Kind {
        case text, integer, blob
        /// SQLite's 0/1, PostgreSQL's boolean.
        case boolean
    }

    /// A table: its columns (the same names in both schemas), the order rows are copied in, and
    /// the PostgreSQL sequence behind an id column, if any.
    struct Table {
        var name: String
        var columns: [(String, Kind)]
        var order: String
        var sequence: (column: String, name: String)?
        /// SQLite's expression for each column when it differs from the name (`rowid`).
        var source: [String: String] = [:]
    }

    static let tables: [Table] = [
        Table(
            name: "mutations",
            columns: [
                ("id", .text), ("status", .text), ("tier", .text), ("resource", .text), ("operation", .text), ("actor_id", .text),
                ("policy_version", .text), ("document", .text), ("decision", .text), ("content_hash", .text),
                ("idempotency_key", .text), ("request_hash", .text), ("created_at", .integer), ("updated_at", .integer),
                ("revision", .integer), ("before_values", .text), ("rollback_attempts", .integer), ("revision_of", .text),
                ("superseded_by", .text), ("revised_by", .text),
            ], order: "created_at, id"),
        Table(
            name: "mutation_transitions",
            columns: [
                ("id", .integer), ("mutation_id", .text), ("from_status", .text), ("to_status", .text), ("at", .integer),
                ("actor", .text), ("audit_seq", .integer),
            ], order: "id", sequence: ("id", "mutation_transitions_id_seq")),
        Table(
            name: "reviews",
            columns: [
                ("id", .text), ("mutation_id", .text), ("mode", .text), ("status", .text), ("groups", .text),
                ("reject_after", .integer), ("deadline", .integer), ("escalations", .integer), ("opened_at", .integer),
                ("closed_at", .integer),
            ], order: "opened_at, id"),
        Table(
            name: "votes",
            columns: [
                ("id", .integer), ("review_id", .text), ("mutation_id", .text), ("reviewer", .text), ("decision", .text),
                ("note", .text), ("content_hash", .text), ("policy_version", .text), ("pool", .text), ("at", .integer),
                ("audit_seq", .integer),
            ], order: "id", sequence: ("id", "votes_id_seq")),
        Table(
            name: "policy_versions",
            columns: [
                ("hash", .text), ("name", .text), ("text", .text), ("created_at", .integer), ("created_by", .text),
                ("activated_at", .integer), ("activated_by", .text), ("is_active", .boolean), ("position", .integer),
            ], order: "position"),
        Table(name: "signal_state", columns: [("key", .text), ("blob", .blob), ("updated_at", .integer)], order: "key"),
        Table(
            name: "idempotency_keys",
            columns: [("scope", .text), ("key", .text), ("request_hash", .text), ("mutation_id", .text), ("created_at", .integer)],
            order: "scope, key"),
        Table(name: "executed_changes", columns: [("mutation_id", .text), ("change", .text), ("at", .integer)], order: "mutation_id"),
        Table(
            name: "system_settings", columns: [("key", .text), ("value", .text), ("updated_at", .integer), ("updated_by", .text)],
            order: "key"),
        Table(
            name: "audit_log",
            columns: [
                ("seq", .integer), ("time_us", .integer), ("kind", .text), ("mutation_id", .text), ("actor", .text),
                ("policy_version", .text), ("payload", .text), ("prev_hash", .blob), ("hash", .blob),
            ], order: "seq"),
        Table(
            name: "audit_checkpoints",
            columns: [("tree_size", .integer), ("root", .blob), ("time_us", .integer), ("key_id", .text), ("signature", .blob)],
            order: "tree_size"),
        Table(
            name: "notification_events",
            columns: [("id", .text), ("kind", .text), ("body", .text), ("mutation_id", .text), ("created_at", .integer)],
            order: "created_at, id"),
        Table(
            name: "notification_deliveries",
            columns: [
                ("id", .integer), ("event_id", .text), ("target", .text), ("status", .text), ("attempts", .integer),
                ("next_attempt_at", .integer), ("last_error", .text), ("updated_at", .integer),
            ], order: "id", sequence: ("id", "notification_deliveries_id_seq")),
        Table(
            name: "shadow_results",
            columns: [
                ("position", .integer), ("mutation_id", .text), ("shadow_version", .text), ("active_version", .text), ("at", .integer),
                ("resource", .text), ("active_tier", .text), ("shadow_tier", .text), ("active_rules", .text), ("shadow_rules", .text),
                ("shadow_decision", .text),
            ], order: "rowid", sequence: ("position", "shadow_results_position_seq"), source: ["position": "rowid"]),
        Table(
            name: "decision_distributions",
            columns: [("hour", .integer), ("resource", .text), ("dimension", .text), ("bucket", .text), ("count", .integer)],
            order: "hour, resource, dimension, bucket"),
    ]

    /// What was copied: rows per table.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)] = []
        public var auditRecords: Int64 = 0
    }

    /// Copies every table of `source` into `target`, in one transaction that holds the target's
    /// audit head lock. Refuses a target that holds anything already (its log or mutations).
    public static func copy(from source: SQLiteStore, to target: PostgresStore, pageSize: Int = 2_000) async throws -> Report {
        var report = Report()
        let logger = target.logger
        do {
            try await target.client.withConnection { connection in
                try await connection.run("BEGIN", logger: logger)
                do {
                    let tail = try await PostgresStore.lockTail(connection, logger: logger)
                    let mutations = try await connection.query("SELECT COUNT(*) FROM mutations", logger: logger).collect().first?
                        .decode(Int64.self) ?? 0
                    guard tail.size == 0, mutations == 0 else {
                        throw StoreError(
                            .alreadyExists,
                            "\(target.describe) is not empty (\(tail.size) audit records, \(mutations) mutations): copy into a "
                                + "fresh database (`airlock migrate` on an empty one)")
                    }
                    // The head first: the log and checkpoints are copied up to it, so that records a
                    // still-running server appends meanwhile cannot make the copy disagree with it.
                    let head = try await source.writer.read { db in
                        try Row.fetchOne(
                            db,
                            sql: "SELECT size, last_hash, last_time_us, frontier, checkpoint_size, checkpoint_time_us FROM audit_head WHERE id = 1")
                    }
                    guard let head else { throw StoreError(.corrupted, "the source's audit head row is missing") }
                    let size: Int64 = head[0]
                    let lastHash: Data = head[1]
                    let lastTime: Int64 = head[2]
                    let frontier: Data = head[3]
                    let checkpointSize: Int64 = head[4]
                    let checkpointTime: Int64 = head[5]
                    for table in tables {
                        let bound: String? =
                            switch table.name {
                            case "audit_log": "seq <= \(size)"
                            case "audit_checkpoints": "tree_size <= \(checkpointSize)"
                            default: nil
                            }
                        let count = try await copy(table, from: source, on: connection, logger: logger, pageSize: pageSize, bound: bound)
                        report.rows.append((table.name, count))
                    }
                    try await connection.run(
                        """
                        UPDATE audit_head SET size = \(size), last_hash = \(ByteBuffer(bytes: lastHash)), last_time_us = \(lastTime),
                            frontier = \(ByteBuffer(bytes: frontier)), checkpoint_size = \(checkpointSize),
                            checkpoint_time_us = \(checkpointTime)
                        WHERE id = 1
                        """, logger: logger)
                    report.auditRecords = size
                    try await connection.run("COMMIT", logger: logger)
                } catch {
                    await connection.rollBack(logger: logger)
                    throw error
                }
            }
        } catch {
            throw PostgresStore.storeError(error, describe: target.describe)
        }
        return report
    }

    /// Copies one table, a page at a time, and moves its id sequence past the copied ids.
    private static func copy(
        _ table: Table, from source: SQLiteStore, on connection: PostgresConnection, logger: Logger, pageSize: Int,
        bound: String? = nil
    ) async throws -> Int {
        let selected = table.columns.map { table.source[$0.0] ?? $0.0 }.joined(separator: ", ")
        let names = table.columns.map(\.0).joined(separator: ", ")
        let placeholders = (1...table.columns.count).map { "$\($0)" }.joined(separator: ", ")
        let insert = "INSERT INTO \(table.name) (\(names)) VALUES (\(placeholders))"
        var offset = 0
        var copied = 0
        while true {
            let rows = try await source.writer.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT \(selected) FROM \(table.name) \(bound.map { "WHERE " + $0 } ?? "") ORDER BY \(table.order) LIMIT ? OFFSET ?",
                    arguments: [pageSize, offset])
            }
            for row in rows {
                var binds = PostgresBindings(capacity: table.columns.count)
                for (index, (_, kind)) in table.columns.enumerated() {
                    let value = row[index] as DatabaseValue
                    if value.isNull {
                        binds.appendNull()
                        continue
                    }
                    switch kind {
                    case .text: binds.append(String.fromDatabaseValue(value) ?? "")
                    case .integer: binds.append(Int64.fromDatabaseValue(value) ?? 0)
                    case .blob: binds.append(ByteBuffer(bytes: Data.fromDatabaseValue(value) ?? Data()))
                    case .boolean: binds.append((Int64.fromDatabaseValue(value) ?? 0) != 0)
                    }
                }
                try await connection.run(PostgresQuery(unsafeSQL: insert, binds: binds), logger: logger)
            }
            copied += rows.count
            offset += rows.count
            if rows.count < pageSize { break }
        }
        if let sequence = table.sequence, copied > 0 {
            try await connection.run(
                PostgresQuery(
                    unsafeSQL: "SELECT setval('\(sequence.name)', (SELECT MAX(\(sequence.column)) FROM \(table.name)))"),
                logger: logger)
        }
        return copied
    }
}
