import AirlockCore
import AirlockStore
import CEL
import Foundation

extension NotificationEvent {
    /// The `freeze_changed` event of a freeze set or lifted: `Freeze on by root: incident 42`,
    /// `Freeze lifted by root`, with `freeze` (on or off), the reason as `detail` and who as
    /// `actor`.
    static func freezeChanged(_ freeze: FreezeRecord, id: String) -> NotificationEvent {
        let reason = freeze.reason.map { ": \($0)" } ?? ""
        let text = (freeze.on ? "Freeze on by \(freeze.by)" : "Freeze lifted by \(freeze.by)") + reason
        return NotificationEvent(
            id: id, kind: .freezeChanged, time: freeze.since, text: text, actor: freeze.by, detail: freeze.reason,
            extra: ["freeze": .bool(freeze.on)])
    }
}
