import AirlockCore
import CEL
import GRDB

extension SQLExecutor {
    /// Reads every record back: a create or update matches when every requested field holds its
    /// new value, a delete when the row is gone. A mismatch names each record that differs.
    public func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
        let rows: [SQLRowImage?]
        do {
            rows = try await database.read { db in try change.records.map { try self.fetchRow(db, key: $0.target) } }
        } catch {
            return .unverifiable("cannot read table '\(mapping.table)' of \(mapping.databasePath): \(error)")
        }
        var wanted = CELMap()
        for (key, value) in request.changes.entries
        where mapping.column(of: ValueMatching.fieldName(key)) != mapping.keyColumn {
            wanted[key] = SQLValues.stored(value)
        }
        var mismatches: [String] = []
        for (position, (record, row)) in zip(change.records, rows).enumerated() {
            let place = "the row with \(mapping.keyColumn) '\(record.target)' in table '\(mapping.table)'"
            if request.operation == .delete {
                if row != nil { mismatches.append("\(place) still exists after its delete") }
                continue
            }
            guard let row else {
                mismatches.append("\(place) is missing")
                continue
            }
            var differences = ValueMatching.differences(wanted: wanted, found: fields(of: row))
            // Another mutation applied through Airlock changed the row since (one read back
            // late, by reconciliation, or after a concurrent change): the row as this change
            // left it, read in its own transaction, is what tells.
            if !differences.isEmpty, let image = record.afterImage,
                (try? await database.read({ db in try Self.changedSince(db, mutationID: request.mutationID, position: position) }))
                    == true
            {
                differences = ValueMatching.differences(wanted: wanted, found: image)
            }
            if !differences.isEmpty { mismatches.append("\(place) differs: " + differences.joined(separator: "; ")) }
        }
        return mismatches.isEmpty ? .matches : .mismatch(mismatches.joined(separator: "; "))
    }

    /// Whether a mutation applied after this one (a later marker) changed the same record.
    static func changedSince(_ db: Database, mutationID: String, position: Int) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (
                    SELECT 1 FROM \(SQLAppliedMarker.table) AS ours JOIN \(SQLAppliedMarker.table) AS later
                        ON later.table_name = ours.table_name AND later.target = ours.target AND later.rowid > ours.rowid
                    WHERE ours.mutation_id = ? AND ours.position = ?)
                """,
            arguments: [mutationID, position]) ?? false
    }

    /// Restores the before-images kept in the marker rows, every record in one transaction:
    /// deletes a created row, writes back every column of an updated one, re-inserts a deleted
    /// one. Refuses — writing nothing — when any row is not exactly as the change left it.
    /// Calling it again after it succeeded answers ``RollbackOutcome/rolledBack`` without
    /// writing. `attempt` makes no difference here.
    public func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
        let time = clock.now()
        do {
            return try await database.writeWithoutTransaction { db in
                var outcome = RollbackOutcome.failed("the transaction did not run")
                try db.inTransaction(.immediate) {
                    let markers = try SQLAppliedMarker.fetchAll(db, mutationID: change.mutationID)
                    guard !markers.isEmpty else {
                        outcome = .refused(
                            "\(self.mapping.databasePath) has no record that mutation \(change.mutationID) was applied")
                        return .rollback
                    }
                    let pending = markers.filter { $0.rolledBackAt == nil }
                    if pending.isEmpty {
                        outcome = .rolledBack
                        return .rollback
                    }
                    if let other = pending.first(where: { $0.tableName != self.mapping.table }) {
                        outcome = .refused(
                            "mutation \(change.mutationID) changed table '\(other.tableName)', not '\(self.mapping.table)'")
                        return .rollback
                    }
                    var refusals: [String] = []
                    for marker in pending {
                        let current = try self.fetchRow(db, key: marker.target)
                        if let refusal = self.refusal(marker, current: current) { refusals.append(refusal) }
                    }
                    if !refusals.isEmpty {
                        outcome = .refused(
                            markers.count == 1
                                ? refusals[0]
                                : "\(refusals.count) of \(markers.count) records changed since, so none was restored: "
                                    + refusals.joined(separator: "; "))
                        return .rollback
                    }
                    for marker in pending.reversed() { try self.restore(marker, in: db) }
                    try SQLAppliedMarker.markRolledBack(db, mutationID: change.mutationID, at: time)
                    outcome = .rolledBack
                    return .commit
                }
                return outcome
            }
        } catch {
            return .failed("rolling back in table '\(mapping.table)' of \(mapping.databasePath) failed: \(error)")
        }
    }

    /// Looks for the marker rows written with the change: all of its records are applied, or
    /// none (they are written in one transaction).
    public func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome {
        let markers: [SQLAppliedMarker]
        do {
            markers = try await database.read { db in try SQLAppliedMarker.fetchAll(db, mutationID: request.mutationID) }
        } catch {
            return .unknown("cannot read \(mapping.databasePath): \(error)")
        }
        guard !markers.isEmpty else { return .notApplied }
        guard !request.isBulk || markers.map(\.target) == request.targets else {
            return .unknown(
                "mutation \(request.mutationID) was applied to records "
                    + markers.map { "'\($0.target)'" }.joined(separator: ", ") + ", not to the records requested")
        }
        return .applied(change(of: markers))
    }

    /// Why restoring the before-image would overwrite someone else's change; `nil` when the row
    /// is exactly as the mutation left it.
    private func refusal(_ marker: SQLAppliedMarker, current: SQLRowImage?) -> String? {
        let place = "the row with \(mapping.keyColumn) '\(marker.target)' in table '\(mapping.table)'"
        guard let after = marker.after else {
            return current == nil ? nil : "\(place) exists again since mutation \(marker.mutationID) deleted it"
        }
        guard let current else { return "\(place) was deleted since mutation \(marker.mutationID) wrote it" }
        let differences = after.differences(from: current)
        guard !differences.isEmpty else { return nil }
        return "\(place) changed since mutation \(marker.mutationID) wrote it (" + differences.joined(separator: "; ") + ")"
    }

    private func restore(_ marker: SQLAppliedMarker, in db: Database) throws {
        let table = SQLValues.quoted(mapping.table)
        let keyColumn = SQLValues.quoted(mapping.keyColumn)
        switch (marker.before, marker.after) {
        case (nil, _):
            try db.execute(sql: "DELETE FROM \(table) WHERE \(keyColumn) = ?", arguments: [marker.target])
        case (let before?, nil):
            let columns = before.columns.map { SQLValues.quoted($0.name) }.joined(separator: ", ")
            let placeholders = Array(repeating: "?", count: before.columns.count).joined(separator: ", ")
            try db.execute(
                sql: "INSERT INTO \(table) (\(columns)) VALUES (\(placeholders))",
                arguments: StatementArguments(before.columns.map(\.value)))
        case (let before?, _?):
            let columns = before.columns.filter { $0.name != mapping.keyColumn }
            guard !columns.isEmpty else { return }
            let sets = columns.map { "\(SQLValues.quoted($0.name)) = ?" }.joined(separator: ", ")
            try db.execute(
                sql: "UPDATE \(table) SET \(sets) WHERE \(keyColumn) = ?",
                arguments: StatementArguments(columns.map(\.value) + [marker.target.databaseValue]))
        }
    }
}
