/// What a caller asks the audit log to record; the store adds the sequence number, time and
/// hashes and returns the result as an ``AuditRecord``.
public struct AuditEntry: Sendable, Hashable {
    /// What happened.
    public var kind: AuditKind
    /// Who did it or decided it: a principal id, `policy`, `system`, …
    public var actor: String
    /// Canonical JSON text of what was decided and on which inputs. The store keeps and hashes
    /// these exact bytes; it never re-encodes them.
    public var payload: String
    /// The policy version (its hash) the decision was made under, if any.
    public var policyVersion: String?
    /// The mutation it is about. Operations on a mutation fill this in themselves.
    public var mutationID: String?

    /// An entry; `payload` defaults to the empty JSON object.
    public init(
        kind: AuditKind, actor: String, payload: String = "{}", policyVersion: String? = nil,
        mutationID: String? = nil
    ) {
        self.kind = kind
        self.actor = actor
        self.payload = payload
        self.policyVersion = policyVersion
        self.mutationID = mutationID
    }
}
