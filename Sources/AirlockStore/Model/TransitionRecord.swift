import AirlockCore
import Foundation

/// One status change of a mutation, as stored.
public struct TransitionRecord: Sendable, Hashable {
    /// The mutation.
    public var mutationID: String
    /// The status before.
    public var from: MutationStatus
    /// The status after.
    public var to: MutationStatus
    /// When the change happened (the caller's time).
    public var at: Date
    /// Who made it (the audit entry's actor).
    public var actor: String
    /// The audit record written with it.
    public var auditSeq: Int64

    /// A transition as read from a store.
    public init(mutationID: String, from: MutationStatus, to: MutationStatus, at: Date, actor: String, auditSeq: Int64)
    {
        self.mutationID = mutationID
        self.from = from
        self.to = to
        self.at = at
        self.actor = actor
        self.auditSeq = auditSeq
    }
}
