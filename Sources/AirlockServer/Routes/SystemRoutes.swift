import AirlockEngine
import CEL
import Hummingbird

/// `/v1/system`: the gateway's own state as rules read it (`system.*`), and the freeze;
/// `/v1/resources`: what may be proposed.
struct SystemRoutes {
    let gateway: Gateway

    func register(_ book: RouteBook) {
        let gateway = self.gateway
        book.on(.get, "/v1/system") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            return jsonResponse(gateway.systemView(for: principal).jsonValue)
        }
        book.on(.get, "/v1/resources") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            return jsonResponse(try gateway.resourceCatalog(for: principal))
        }
        book.on(.post, "/v1/system/freeze") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            // Who may freeze is checked before the body is read: a non-admin learns nothing more.
            try gateway.authorizeFreeze(by: principal)
            let body = try await RequestReading.jsonObject(&request, limits: gateway.admission.limits)
            let (on, reason) = try Self.freezeRequest(body)
            return jsonResponse(try await gateway.setFreeze(on, reason: reason, by: principal).jsonValue)
        }
    }

    /// Reads `{on, reason}`: `on` a boolean (required), `reason` a string or null; nothing else.
    static func freezeRequest(_ body: Value) throws(Problem) -> (on: Bool, reason: String?) {
        guard case .map(let map) = body else { throw Problem.badRequest("the body must be a JSON object") }
        let unknown = map.keys.compactMap { key -> String? in
            guard case .string(let name) = key else { return "\(key)" }
            return ["on", "reason"].contains(name) ? nil : name
        }.sorted()
        if !unknown.isEmpty {
            throw Problem.badRequest(
                "unknown field(s) \(unknown.joined(separator: ", ")); a freeze takes on and reason",
                errors: unknown.map { ($0, "unknown field") })
        }
        let on: Bool
        switch body.field("on") {
        case .bool(let value): on = value
        case .null: throw Problem.badRequest("on is required: true to freeze, false to thaw", errors: [("on", "required boolean")])
        default: throw Problem.badRequest("on must be true or false", errors: [("on", "must be a boolean")])
        }
        switch body.field("reason") {
        case .string(let text): return (on, text)
        case .null: return (on, nil)
        default: throw Problem.badRequest("reason must be a string", errors: [("reason", "must be a string")])
        }
    }
}
