import CEL

/// The gateway as the MCP tools reach it: in the server's own process (`/mcp`, as the principal
/// of the HTTP request) or over the HTTP API (`airlock mcp serve` on stdio, `airlock mcp proxy`,
/// as the principal of `AIRLOCK_KEY`). Every answer is the API's: an HTTP status and its JSON (a
/// mutation's view, or a problem).
public protocol MCPBackend: Sendable {
    /// `POST /v1/mutations`.
    func propose(_ mutation: Value, idempotencyKey: String?) async throws -> MCPAnswer
    /// `GET /v1/mutations/{id}`, waiting up to `waitSeconds` for a status other than `from`.
    func mutation(_ id: String, waitSeconds: Double?, from status: String?) async throws -> MCPAnswer
    /// `GET /v1/resources`.
    func resources() async throws -> MCPAnswer
    /// `POST /v1/mutations/{id}/outcome`: the caller executed it (or failed to).
    func reportOutcome(_ id: String, executed: Bool, detail: String?) async throws -> MCPAnswer
}

/// One answer of the gateway.
public struct MCPAnswer: Sendable {
    public var status: Int
    public var json: Value

    public init(status: Int, json: Value) {
        self.status = status
        self.json = json
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// A field of the JSON object, or null.
    public subscript(_ name: String) -> Value {
        guard case .map(let map) = json else { return .null }
        return map[name] ?? .null
    }
}

extension Value {
    /// A field of a map value, or null.
    func member(_ name: String) -> Value {
        guard case .map(let map) = self else { return .null }
        return map[name] ?? .null
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var listValue: [Value] {
        if case .list(let items) = self { return items }
        return []
    }
}
