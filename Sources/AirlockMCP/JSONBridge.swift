import CEL
import Foundation
import MCP

/// Moves JSON between Airlock's values (`CEL.Value`) and the MCP SDK's (`MCP.Value`), through
/// its text: both read and write plain JSON.
enum JSONBridge {
    static func mcp(_ value: CEL.Value) -> MCP.Value {
        (try? JSONDecoder().decode(MCP.Value.self, from: Data(value.jsonString().utf8))) ?? .null
    }

    static func cel(_ value: MCP.Value) -> CEL.Value {
        guard let data = try? JSONEncoder().encode(value), let text = String(data: data, encoding: .utf8) else { return .null }
        return (try? CEL.Value(json: text)) ?? .null
    }

    static func cel(_ arguments: [String: MCP.Value]?) -> CEL.Value {
        var map = CELMap()
        for (name, value) in (arguments ?? [:]).sorted(by: { $0.key < $1.key }) { map[name] = cel(value) }
        return .map(map)
    }
}
