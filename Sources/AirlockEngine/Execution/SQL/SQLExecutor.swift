import AirlockCore
import CEL
import Foundation
import GRDB

/// Applies mutations to a table of a SQLite database through a declared ``SQLMapping``.
///
/// Each change is one transaction that checks the preconditions (every `before` value the
/// decision saw must equal the row's current value), writes the row, and writes a marker row in
/// `airlock_applied` holding every stored column of the row before and after. The marker is how
/// ``reconcile(_:)`` knows after a crash whether the change happened, how ``apply(_:)`` stays
/// idempotent, and what ``rollback(_:attempt:)`` restores exactly. Numbers compare by value: an INTEGER
/// column holding 18 matches a change of 18.0.
public final class SQLExecutor: Executor {
    /// The resource this executor applies.
    public let resource: String
    /// Where the resource's records live.
    public let mapping: SQLMapping
    let database: any DatabaseWriter
    /// The table's stored columns (not generated ones): what an image holds.
    let storedColumns: [String]
    let now: @Sendable () -> Date

    /// Opens the mapping's database (which must exist), checks that its table has the key and
    /// every mapped column, and creates the marker table on first use.
    public convenience init(resource: String, mapping: SQLMapping, now: @escaping @Sendable () -> Date = Date.init)
        throws(ExecutorError)
    {
        let database = try Self.open(mapping.databasePath, resource: resource)
        try self.init(resource: resource, mapping: mapping, database: database, now: now)
    }

    /// An executor over a database already open; several executors may share one.
    public init(
        resource: String, mapping: SQLMapping, database: any DatabaseWriter,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws(ExecutorError) {
        self.resource = resource
        self.mapping = mapping
        self.database = database
        self.now = now
        for name in [mapping.table, mapping.keyColumn] + mapping.fields.map(\.column)
        where !SQLMapping.isPlainIdentifier(name) {
            throw ExecutorError(resource: resource, message: "'\(name)' is not a plain SQL name (letters, digits, _)")
        }
        do {
            storedColumns = try database.write { db in
                try SQLAppliedMarker.createTable(db)
                let rows = try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(SQLValues.quoted(mapping.table)))")
                return rows.filter { ($0["hidden"] as Int? ?? 0) == 0 }.map { $0["name"] as String }
            }
        } catch {
            throw ExecutorError(resource: resource, message: "cannot prepare \(mapping.databasePath): \(error)")
        }
        guard !storedColumns.isEmpty else {
            throw ExecutorError(resource: resource, message: "\(mapping.databasePath) has no table '\(mapping.table)'")
        }
        for column in [mapping.keyColumn] + mapping.fields.map(\.column) where !storedColumns.contains(column) {
            let known = storedColumns.joined(separator: ", ")
            throw ExecutorError(
                resource: resource,
                message: "table '\(mapping.table)' of \(mapping.databasePath) has no column '\(column)' (columns: \(known))")
        }
    }

    /// Opens a database file for executors; it must exist (a missing file is a configuration
    /// mistake, not an empty database). Waits up to 5 seconds for other writers.
    public static func open(_ path: String, resource: String) throws(ExecutorError) -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ExecutorError(resource: resource, message: "database \(path) does not exist")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw ExecutorError(resource: resource, message: "cannot open database \(path): \(error)")
        }
    }

    public var canRead: Bool { true }

    public func read(target: String) async -> CELMap? {
        try? await database.read { db in
            try self.fetchRow(db, key: target).map(self.fields(of:))
        }
    }

    public func apply(_ request: ExecutionRequest) async -> ExecutionOutcome {
        var pending: [(column: String, value: DatabaseValue)] = []
        for (key, value) in request.changes.entries {
            let name = ValueMatching.fieldName(key)
            guard let column = mapping.column(of: name) else {
                return .failed("field '\(name)' is not mapped to a column of table '\(mapping.table)'", retryable: false)
            }
            if column == mapping.keyColumn, request.operation != .create {
                return .failed(
                    "field '\(name)' is the key of table '\(mapping.table)' and cannot be changed", retryable: false)
            }
            pending.append((column, SQLValues.databaseValue(value)))
        }
        let preconditions = request.before ?? CELMap()
        for key in preconditions.keys where mapping.column(of: ValueMatching.fieldName(key)) == nil {
            let name = ValueMatching.fieldName(key)
            return .failed(
                "the precondition on field '\(name)' cannot be checked: it has no column in table '\(mapping.table)'",
                retryable: false)
        }
        var rowKey = request.key
        if request.operation == .create, let given = pending.first(where: { $0.column == mapping.keyColumn }) {
            let text = SQLValues.value(given.value)
            if request.target != nil, !ValueMatching.equal(text, .string(request.key)) {
                return .failed("the target '\(request.key)' and the key field \(text) disagree", retryable: false)
            }
            if case .string(let s) = text { rowKey = s } else { rowKey = text.description }
            pending.removeAll { $0.column == mapping.keyColumn }
        }
        let time = now()
        let key = rowKey
        let assignments = pending
        do {
            return try await database.writeWithoutTransaction { db in
                var outcome = ExecutionOutcome.failed("the transaction did not run", retryable: true)
                try db.inTransaction(.immediate) {
                    if let marker = try SQLAppliedMarker.fetch(db, mutationID: request.mutationID) {
                        outcome = .executed(self.change(of: marker))
                        return .commit
                    }
                    let current = try self.fetchRow(db, key: key)
                    if let conflict = self.conflict(request, key: key, current: current, preconditions: preconditions) {
                        outcome = .conflict(conflict)
                        return .rollback
                    }
                    try self.write(request.operation, key: key, assignments: assignments, in: db)
                    let after = request.operation == .delete ? nil : try self.fetchRow(db, key: key)
                    let marker = SQLAppliedMarker(
                        mutationID: request.mutationID, resource: self.resource, tableName: self.mapping.table, target: key,
                        operation: request.operation.rawValue, before: current, after: after, appliedAt: time)
                    try marker.insert(db)
                    outcome = .executed(self.change(of: marker))
                    return .commit
                }
                return outcome
            }
        } catch {
            return .failed(
                "writing to table '\(mapping.table)' of \(mapping.databasePath) failed: \(error)",
                retryable: Self.isTransient(error))
        }
    }

    // MARK: Helpers

    /// Why the preconditions do not hold; `nil` when they do.
    private func conflict(
        _ request: ExecutionRequest, key: String, current: SQLRowImage?, preconditions: CELMap
    ) -> String? {
        guard let current else {
            guard request.operation == .create else {
                return "no row with \(mapping.keyColumn) '\(key)' in table '\(mapping.table)'"
            }
            return preconditions.isEmpty ? nil : "a create has no row to check the before values against"
        }
        if request.operation == .create {
            return "a row with \(mapping.keyColumn) '\(key)' already exists in table '\(mapping.table)'"
        }
        let differences = ValueMatching.differences(wanted: preconditions, found: fields(of: current), label: "decided on")
        guard !differences.isEmpty else { return nil }
        return "the row changed since the decision: " + differences.joined(separator: "; ")
    }

    private func write(
        _ operation: Mutation.Operation, key: String, assignments: [(column: String, value: DatabaseValue)], in db: Database
    ) throws {
        let table = SQLValues.quoted(mapping.table)
        let keyColumn = SQLValues.quoted(mapping.keyColumn)
        switch operation {
        case .create:
            let columns = [keyColumn] + assignments.map { SQLValues.quoted($0.column) }
            let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            try db.execute(
                sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))",
                arguments: StatementArguments([key.databaseValue] + assignments.map(\.value)))
        case .update:
            guard !assignments.isEmpty else { return }
            let sets = assignments.map { "\(SQLValues.quoted($0.column)) = ?" }.joined(separator: ", ")
            try db.execute(
                sql: "UPDATE \(table) SET \(sets) WHERE \(keyColumn) = ?",
                arguments: StatementArguments(assignments.map(\.value) + [key.databaseValue]))
        case .delete:
            try db.execute(sql: "DELETE FROM \(table) WHERE \(keyColumn) = ?", arguments: [key])
        }
    }

    /// Every stored column of the row with this key.
    func fetchRow(_ db: Database, key: String) throws -> SQLRowImage? {
        let columns = storedColumns.map(SQLValues.quoted).joined(separator: ", ")
        let table = SQLValues.quoted(mapping.table)
        let sql = "SELECT \(columns) FROM \(table) WHERE \(SQLValues.quoted(mapping.keyColumn)) = ?"
        return try Row.fetchOne(db, sql: sql, arguments: [key]).map { SQLRowImage(row: $0, names: storedColumns) }
    }

    /// The mapped fields of a row image, in mapping order.
    func fields(of image: SQLRowImage) -> CELMap {
        CELMap(mapping.fields.map { (MapKey.string($0.name), SQLValues.value(image[$0.column] ?? .null)) })
    }

    func change(of marker: SQLAppliedMarker) -> ExecutedChange {
        ExecutedChange(
            mutationID: marker.mutationID, resource: marker.resource,
            operation: Mutation.Operation(rawValue: marker.operation) ?? .update, target: marker.target,
            beforeImage: marker.before.map(fields(of:)), afterImage: marker.after.map(fields(of:)))
    }

    /// Whether an error may pass on its own (another writer holds the database).
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }
}
