import Foundation

/// What an executor applied for a mutation, as the store keeps it: the executor's description of
/// the change (canonical JSON: which records, their values before and after), written in the same
/// commit as the move to `executed`. A rollback reads it back; it is never dug out of the audit log.
public struct ExecutedChangeRecord: Sendable, Hashable {
    /// The mutation that made the change.
    public var mutationID: String
    /// Canonical JSON text of the change, in the executor's form.
    public var change: String
    /// When it was recorded.
    public var at: Date

    public init(mutationID: String, change: String, at: Date) {
        self.mutationID = mutationID
        self.change = change
        self.at = at
    }
}
