import CEL

/// Who proposes a mutation: always the authenticated principal, never taken from the mutation.
///
/// The value rules see as `actor` is built when the actor is created or changed, not per
/// decision: keep actors (principals) around and decisions do not pay for it.
public struct Actor: Sendable {
    /// What kind of principal the actor is.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
        /// An AI agent.
        case agent
        /// An automated service.
        case service
        /// A person.
        case human

        public var description: String { rawValue }
    }

    /// The principal's id (`agent-7`).
    public var id: String { didSet { refresh() } }
    /// The kind of principal.
    public var kind: Kind { didSet { refresh() } }
    /// Its roles (`payments-bot`).
    public var roles: [String] { didSet { refresh() } }
    /// Free attributes (team, environment, …) that rules may read as `actor.attributes`.
    public var attributes: CELMap { didSet { refresh() } }

    /// The JSON form, which is also the value rules see as `actor`.
    public private(set) var jsonValue: Value = .null

    public init(id: String, kind: Kind, roles: [String] = [], attributes: CELMap = CELMap()) {
        self.id = id
        self.kind = kind
        self.roles = roles
        self.attributes = attributes
        refresh()
    }

    private mutating func refresh() {
        var map = CELMap()
        map["id"] = .string(id)
        map["kind"] = .string(kind.rawValue)
        map["roles"] = .list(roles.map(Value.string))
        map["attributes"] = .map(attributes)
        jsonValue = .map(map)
    }
}
