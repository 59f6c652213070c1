import AirlockCore
import CEL
import GRDB

extension SQLExecutor {
    /// Reads the row back: a create or update matches when every requested field holds its new
    /// value, a delete when the row is gone.
    public func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
        let row: SQLRowImage?
        do {
            row = try await database.read { db in try self.fetchRow(db, key: change.target) }
        } catch {
            return .unverifiable("cannot read table '\(mapping.table)' of \(mapping.databasePath): \(error)")
        }
        let place = "the row with \(mapping.keyColumn) '\(change.target)' in table '\(mapping.table)'"
        guard request.operation != .delete else {
            return row == nil ? .matches : .mismatch("\(place) still exists after its delete")
        }
        guard let row else { return .mismatch("\(place) is missing") }
        var wanted = CELMap()
        for (key, value) in request.changes.entries
        where mapping.column(of: ValueMatching.fieldName(key)) != mapping.keyColumn {
            wanted[key] = SQLValues.stored(value)
        }
        let differences = ValueMatching.differences(wanted: wanted, found: fields(of: row))
        return differences.isEmpty ? .matches : .mismatch("\(place) differs: " + differences.joined(separator: "; "))
    }

    /// Restores the before-image kept in the marker row, in one transaction: deletes a created
    /// row, writes back every column of an updated one, re-inserts a deleted one. Refuses when
    /// the row is not exactly as the change left it. Calling it again after it succeeded
    /// answers ``RollbackOutcome/rolledBack`` without writing. `attempt` makes no difference here.
    public func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
        let time = now()
        do {
            return try await database.writeWithoutTransaction { db in
                var outcome = RollbackOutcome.failed("the transaction did not run")
                try db.inTransaction(.immediate) {
                    guard let marker = try SQLAppliedMarker.fetch(db, mutationID: change.mutationID) else {
                        outcome = .refused(
                            "\(self.mapping.databasePath) has no record that mutation \(change.mutationID) was applied")
                        return .rollback
                    }
                    if marker.rolledBackAt != nil {
                        outcome = .rolledBack
                        return .rollback
                    }
                    guard marker.tableName == self.mapping.table else {
                        outcome = .refused(
                            "mutation \(change.mutationID) changed table '\(marker.tableName)', not '\(self.mapping.table)'")
                        return .rollback
                    }
                    let current = try self.fetchRow(db, key: marker.target)
                    if let refusal = self.refusal(marker, current: current) {
                        outcome = .refused(refusal)
                        return .rollback
                    }
                    try self.restore(marker, in: db)
                    try SQLAppliedMarker.markRolledBack(db, mutationID: marker.mutationID, at: time)
                    outcome = .rolledBack
                    return .commit
                }
                return outcome
            }
        } catch {
            return .failed("rolling back in table '\(mapping.table)' of \(mapping.databasePath) failed: \(error)")
        }
    }

    /// Looks for the marker row written with the change.
    public func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome {
        do {
            let marker = try await database.read { db in try SQLAppliedMarker.fetch(db, mutationID: request.mutationID) }
            return marker.map { .applied(change(of: $0)) } ?? .notApplied
        } catch {
            return .unknown("cannot read \(mapping.databasePath): \(error)")
        }
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
