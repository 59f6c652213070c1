import CEL

/// What the gateway knows about itself when it decides: rules read it as `system`.
///
/// The value rules see is built when the state is created or changed, not per decision.
public struct SystemState: Sendable, Hashable, Codable {
    /// Incident mode: an admin froze the gateway (`POST /v1/system/freeze`); kept in the store.
    public var freeze: Bool { didSet { refresh() } }
    /// Reviews open now, blocking (high) and parallel (medium) alike: the queue in front of
    /// people.
    public var queueDepth: Int { didSet { refresh() } }
    /// Changes rolled back in the last hour divided by changes executed in the last hour, capped
    /// at 1, and 0 when none was executed (see ``SystemActivity``).
    public var rollbackRate1h: Double { didSet { refresh() } }

    /// The JSON form, which is also the value rules see as `system`.
    public private(set) var jsonValue: Value = .null

    public init(freeze: Bool = false, queueDepth: Int = 0, rollbackRate1h: Double = 0) {
        self.freeze = freeze
        self.queueDepth = queueDepth
        self.rollbackRate1h = rollbackRate1h
        refresh()
    }

    private mutating func refresh() {
        var map = CELMap()
        map["freeze"] = .bool(freeze)
        map["queue_depth"] = .int(Int64(queueDepth))
        map["rollback_rate_1h"] = .double(rollbackRate1h)
        jsonValue = .map(map)
    }

    private enum CodingKeys: String, CodingKey {
        case freeze
        case queueDepth = "queue_depth"
        case rollbackRate1h = "rollback_rate_1h"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            freeze: try container.decode(Bool.self, forKey: .freeze),
            queueDepth: try container.decode(Int.self, forKey: .queueDepth),
            rollbackRate1h: try container.decode(Double.self, forKey: .rollbackRate1h))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(freeze, forKey: .freeze)
        try container.encode(queueDepth, forKey: .queueDepth)
        try container.encode(rollbackRate1h, forKey: .rollbackRate1h)
    }

    public static func == (lhs: SystemState, rhs: SystemState) -> Bool {
        lhs.freeze == rhs.freeze && lhs.queueDepth == rhs.queueDepth && lhs.rollbackRate1h == rhs.rollbackRate1h
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(freeze)
        hasher.combine(queueDepth)
        hasher.combine(rollbackRate1h)
    }
}
