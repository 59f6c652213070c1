import CEL
import Foundation

/// The answer of `GET /v1/system` (and of a freeze) as a person reads it.
struct SystemReport {
    var system: Value
    var time: DisplayTime

    var lines: [String] {
        let freeze = system[field: "freeze"]
        var frozen = "off"
        if case .bool(true) = freeze[field: "on"] { frozen = "ON" }
        if let since = freeze[field: "since"].stringValue {
            frozen += " since \(time.withDistance(since))"
            if let by = freeze[field: "by"].stringValue { frozen += ", set by \(by)" }
        }
        if let reason = freeze[field: "reason"].stringValue { frozen += ": \(reason)" }
        let depth = system[field: "queue_depth"].intValue ?? 0
        let rate: String
        switch system[field: "rollback_rate_1h"] {
        case .double(let value): rate = String(format: "%.1f%%", value * 100)
        case .int(let value): rate = "\(value * 100)%"
        default: rate = "unknown"
        }
        let policy = system[field: "policy"]
        let version = policy[field: "version"].stringValue.map { " (\($0.prefix(12)))" } ?? ""
        return [
            "freeze            \(frozen)",
            "queue depth       \(depth) open review\(depth == 1 ? "" : "s")",
            "rollback rate 1h  \(rate) of the last hour's executions rolled back",
            "policy            \(policy[field: "name"].stringValue ?? "none loaded")\(version)",
        ]
    }
}
