import CEL

/// What a decision was made from besides the mutation and its signals: the actor as rules saw it,
/// the system state and the target's values read at triage.
///
/// The `decided` audit record keeps them under `inputs` beside the decision, so that the log
/// alone is enough to decide again (`airlock policy replay`):
///
/// ```json
/// {"tier": "high", …, "signals": {…},
///  "inputs": {"actor": {"id": "agent-7", "kind": "agent", "roles": [], "attributes": {}},
///             "system": {"freeze": false, "queue_depth": 3, "rollback_rate_1h": 0.0},
///             "before": {"amount": 120.0}}}
/// ```
public struct DecisionInputs: Sendable {
    /// The actor, as rules read it (`actor`).
    public var actor: Actor
    /// The system state, as rules read it (`system`).
    public var system: SystemState
    /// The target's values read at triage (`mutation.before`), when any were.
    public var before: CELMap?
    /// How long the gateway took from receiving the mutation to its decision, in microseconds
    /// (what `airlock kpi` reports as decision latency); not an input of the rules.
    public var decisionMicroseconds: Int?

    public init(actor: Actor, system: SystemState, before: CELMap?, decisionMicroseconds: Int? = nil) {
        self.actor = actor
        self.system = system
        self.before = before
        self.decisionMicroseconds = decisionMicroseconds
    }

    /// The decision's JSON form with these inputs under `inputs`.
    public func recorded(with decision: Decision) -> Value {
        guard case .map(var map) = decision.jsonValue else { return decision.jsonValue }
        map["inputs"] = jsonValue
        return .map(map)
    }

    /// `{"actor": …, "system": …, "before"?: …}`.
    public var jsonValue: Value {
        var map = CELMap()
        map["actor"] = actor.jsonValue
        map["system"] = system.jsonValue
        if let before { map["before"] = .map(before) }
        if let decisionMicroseconds { map["decision_us"] = .int(Int64(decisionMicroseconds)) }
        return .map(map)
    }

    /// Reads the inputs kept in a recorded decision (its `inputs` member).
    public init(recordedDecision value: Value) throws(ValidationFailure) {
        guard case .map(let decision) = value, let inputs = decision["inputs"] else {
            throw ValidationFailure(path: "inputs", message: "the decision keeps no inputs (it was recorded before they were kept)")
        }
        var reader = ObjectReader(inputs, what: "a decision's inputs", allowed: ["actor", "system", "before", "decision_us"])
        let actorValue = reader.value("actor")
        if case .none = actorValue { reader.fail("actor", "is required") }
        let systemValue = reader.object("system")
        let before = reader.object("before")
        guard reader.issues.isEmpty, let actorValue else { throw ValidationFailure(issues: reader.issues) }
        actor = try Actor(jsonValue: actorValue)
        self.system = systemValue.map(Self.recordedSystem) ?? SystemState()
        self.before = before
        if case .map(let map) = inputs, let micros = map["decision_us"], let n = SignalState.number(micros) {
            decisionMicroseconds = Self.whole(n)
        }
    }

    /// The system state kept in a recorded decision's inputs (`freeze`, `queue_depth`,
    /// `rollback_rate_1h`; what is missing or not a number keeps its default).
    static func recordedSystem(_ recorded: CELMap) -> SystemState {
        var freeze = false
        var depth = 0
        var rate = 0.0
        if case .bool(let value)? = recorded["freeze"] { freeze = value }
        if let value = recorded["queue_depth"], let n = SignalState.number(value).flatMap(whole) { depth = n }
        if let value = recorded["rollback_rate_1h"], let x = SignalState.number(value) { rate = x }
        return SystemState(freeze: freeze, queueDepth: depth, rollbackRate1h: rate)
    }

    /// A recorded count as an `Int`: `nil` when it is not a finite number within ±9·10¹⁵ (a
    /// record that says otherwise must not stop a replay).
    static func whole(_ n: Double) -> Int? {
        n.isFinite && abs(n) < 9e15 ? Int(n) : nil
    }
}
