import AirlockCore

/// What a principal may do. A principal holds any number of roles.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Proposes mutations.
    case submitter
    /// Approves or rejects mutations awaiting review in its pools.
    case reviewer
    /// Manages policies and may see everything.
    case admin
    /// Reads the audit log and every mutation.
    case auditor
}

/// An authenticated caller: an agent, a service or a person.
public struct Principal: Sendable, Hashable {
    public var id: String
    public var kind: Actor.Kind
    public var roles: Set<Role>
    /// Review pools the principal belongs to (`finance`, `support-leads`, …).
    public var pools: Set<String>
    /// Who is accountable for this principal (an agent's owner), if declared.
    public var owner: String?
    /// Free attributes handed to policies as `actor.attributes`.
    public var attributes: [String: String]
    /// The principal's own webhook target: it receives the events about the mutations the
    /// principal submitted (`decided`, `rolled_back`, …), filtered by its `events`.
    public var notify: WebhookTarget?
    /// The data classes whose values the principal may see (`[financial, pii]`); `nil` when the
    /// configuration names none, which clears it for every class. A field of a class it is not
    /// cleared for is shown masked: the fact that it changes, never its value.
    public var clearances: Set<String>?
    /// The principal's own request rate (`rate_limit:`), over its kind's (`rate_limits:`); `nil`
    /// takes the kind's.
    public var rateLimit: RateLimit?

    public init(
        id: String, kind: Actor.Kind, roles: Set<Role>, pools: Set<String> = [], owner: String? = nil,
        attributes: [String: String] = [:], notify: WebhookTarget? = nil
    ) {
        self.id = id
        self.kind = kind
        self.roles = roles
        self.pools = pools
        self.owner = owner
        self.attributes = attributes
        self.notify = notify
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }

    /// Whether the principal may see the values of a field of `dataClass` (an unclassified field,
    /// `nil`, is always visible).
    public func isCleared(for dataClass: String?) -> Bool {
        guard let dataClass, let clearances else { return true }
        return clearances.contains(dataClass)
    }
}
