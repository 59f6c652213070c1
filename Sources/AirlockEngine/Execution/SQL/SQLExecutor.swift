import AirlockCore
import CEL
import Foundation
import GRDB

/// Applies mutations to a table of a SQLite database through a declared ``SQLMapping``.
///
/// Each change is one transaction that checks the preconditions of every record (every `before`
/// value the decision saw must equal the row's current value), writes the rows, and writes a
/// marker row per record in `airlock_applied` holding every stored column of the row before and
/// after. A bulk mutation is all or none: one record failing its preconditions writes nothing.
/// The markers are how ``reconcile(_:)`` knows after a crash whether the change happened, how
/// ``apply(_:)`` stays idempotent, and what ``rollback(_:attempt:)`` restores exactly. Numbers
/// compare by value: an INTEGER column holding 18 matches a change of 18.0.
public final class SQLExecutor: Executor {
    /// The resource this executor applies.
    public let resource: String
    /// Where the resource's records live.
    public let mapping: SQLMapping
    let database: any DatabaseWriter
    /// The table's stored columns (not generated ones): what an image holds.
    let storedColumns: [String]
    /// The time of the `applied_at` and `rolled_back_at` markers: the gateway's clock.
    let clock: any GatewayClock

    /// Opens the mapping's database (which must exist), checks that its table has the key and
    /// every mapped column, and creates the marker table on first use.
    public convenience init(resource: String, mapping: SQLMapping, clock: any GatewayClock = SystemClock())
        throws(ExecutorError)
    {
        let database = try Self.open(mapping.databasePath, resource: resource)
        try self.init(resource: resource, mapping: mapping, database: database, clock: clock)
    }

    /// An executor over a database already open; several executors may share one.
    public init(
        resource: String, mapping: SQLMapping, database: any DatabaseWriter,
        clock: any GatewayClock = SystemClock()
    ) throws(ExecutorError) {
        self.resource = resource
        self.mapping = mapping
        self.database = database
        self.clock = clock
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

    /// True: every record of a bulk mutation is written in one transaction.
    public var supportsBulk: Bool { true }

    public var canRead: Bool { true }

    public func read(target: String) async -> CELMap? {
        try? await database.read { db in
            try self.fetchRow(db, key: target).map(self.fields(of:))
        }
    }

    /// Applies every record of the request in one transaction, or none: when any record fails
    /// its preconditions (or is missing, or already exists for a create), nothing is written and
    /// the outcome is a conflict naming each such record.
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
        var rowKeys = request.keys
        if request.operation == .create, let given = pending.first(where: { $0.column == mapping.keyColumn }) {
            let text = SQLValues.value(given.value)
            if request.isBulk {
                return .failed(
                    "a create of several records cannot set the key field \(text) for all of them", retryable: false)
            }
            if request.target != nil, !ValueMatching.equal(text, .string(rowKeys[0])) {
                return .failed("the target '\(rowKeys[0])' and the key field \(text) disagree", retryable: false)
            }
            if case .string(let s) = text { rowKeys = [s] } else { rowKeys = [text.description] }
            pending.removeAll { $0.column == mapping.keyColumn }
        }
        if let repeated = request.repeatedKey {
            return .failed("record '\(repeated)' is listed twice", retryable: false)
        }
        let time = clock.now()
        let keys = rowKeys
        let assignments = pending
        do {
            return try await database.writeWithoutTransaction { db in
                var outcome = ExecutionOutcome.failed("the transaction did not run", retryable: true)
                try db.inTransaction(.immediate) {
                    let markers = try SQLAppliedMarker.fetchAll(db, mutationID: request.mutationID)
                    if !markers.isEmpty {
                        outcome = self.earlierOutcome(markers, keys: keys)
                        return .commit
                    }
                    var currents: [SQLRowImage?] = []
                    var conflicts: [String] = []
                    for key in keys {
                        let current = try self.fetchRow(db, key: key)
                        if let conflict = self.conflict(request, key: key, current: current, preconditions: preconditions) {
                            conflicts.append(keys.count == 1 ? conflict : "record '\(key)': \(conflict)")
                        }
                        currents.append(current)
                    }
                    if !conflicts.isEmpty {
                        outcome = .conflict(Self.bulkConflict(conflicts, of: keys.count))
                        return .rollback
                    }
                    var applied: [SQLAppliedMarker] = []
                    for (position, (key, current)) in zip(keys, currents).enumerated() {
                        try self.write(request.operation, key: key, assignments: assignments, in: db)
                        let after = request.operation == .delete ? nil : try self.fetchRow(db, key: key)
                        let marker = SQLAppliedMarker(
                            mutationID: request.mutationID, position: position, resource: self.resource,
                            tableName: self.mapping.table, target: key, operation: request.operation.rawValue,
                            before: current, after: after, appliedAt: time)
                        try marker.insert(db)
                        applied.append(marker)
                    }
                    outcome = .executed(self.change(of: applied))
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

    /// What applying again answers when the mutation's markers exist: the change as first
    /// applied, or a failure when the markers are of other records than the request's (a bulk
    /// request whose targets changed since it was applied).
    private func earlierOutcome(_ markers: [SQLAppliedMarker], keys: [String]) -> ExecutionOutcome {
        guard keys.count == 1 || markers.map(\.target) == keys else {
            return .failed(
                "mutation \(markers[0].mutationID) was applied to records "
                    + markers.map { "'\($0.target)'" }.joined(separator: ", ") + ", not to the records requested",
                retryable: false)
        }
        return .executed(change(of: markers))
    }

    /// The conflict of a request: a single record's reason as it is, or for several records, how
    /// many failed and each one's reason.
    private static func bulkConflict(_ conflicts: [String], of count: Int) -> String {
        guard count > 1 else { return conflicts[0] }
        return "\(conflicts.count) of \(count) records fail their preconditions, so none was written: "
            + conflicts.joined(separator: "; ")
    }

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

    /// The change recorded by a mutation's markers (at least one), in their order.
    func change(of markers: [SQLAppliedMarker]) -> ExecutedChange {
        ExecutedChange(
            mutationID: markers[0].mutationID, resource: markers[0].resource,
            operation: Mutation.Operation(rawValue: markers[0].operation) ?? .update,
            records: markers.map {
                RecordChange(
                    target: $0.target, beforeImage: $0.before.map(fields(of:)), afterImage: $0.after.map(fields(of:)))
            })
    }

    /// Whether an error may pass on its own (another writer holds the database).
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }
}
