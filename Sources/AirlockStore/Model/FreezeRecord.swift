import Foundation

/// The freeze an admin set (`system.freeze` to policies), as the store keeps it: on or off, why,
/// since when and by whom. Kept in the store so that it survives restarts.
public struct FreezeRecord: Sendable, Hashable {
    /// Whether the gateway is frozen.
    public var on: Bool
    /// Why it was frozen or thawed, if said.
    public var reason: String?
    /// When it was set (the gateway's clock).
    public var since: Date
    /// Who set it (a principal id).
    public var by: String

    /// A freeze setting.
    public init(on: Bool, reason: String?, since: Date, by: String) {
        self.on = on
        self.reason = reason
        self.since = since
        self.by = by
    }
}
