import AirlockCore
import AirlockStore
import CEL
import Foundation

/// The gateway's state as `GET /v1/system` shows it: the freeze (who set it, why, since when),
/// the values rules read as `system.*`, and the policy version in force.
public struct SystemView: Sendable {
    /// The freeze last set, or `nil` when none ever was (then the gateway is not frozen).
    public var freeze: FreezeRecord?
    /// What rules read as `system` now.
    public var state: SystemState
    /// The name and version (hash) of the active policy, if one is loaded.
    public var policy: (name: String, version: String)?

    /// `{freeze: {on, reason, since, by}, queue_depth, rollback_rate_1h, policy: {name, version}}`.
    public var jsonValue: Value {
        var frozen = CELMap()
        frozen["on"] = .bool(state.freeze)
        frozen["reason"] = freeze?.reason.map(Value.string) ?? .null
        frozen["since"] = freeze.map { .string(MutationView.format($0.since)) } ?? .null
        frozen["by"] = freeze.map { .string($0.by) } ?? .null
        var map = CELMap()
        map["freeze"] = .map(frozen)
        map["queue_depth"] = .int(Int64(state.queueDepth))
        map["rollback_rate_1h"] = .double(state.rollbackRate1h)
        map["policy"] =
            policy.map { .map(CELMap([(.string("name"), .string($0.name)), (.string("version"), .string($0.version))])) }
            ?? .null
        return .map(map)
    }
}
