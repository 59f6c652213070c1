import AirlockEngine
import AirlockMCP
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore

/// `/mcp`: the gateway as MCP tools over streamable HTTP. Every request carries the bearer key of
/// a principal; the session (`Mcp-Session-Id`) a key opened answers only to that key, and its
/// tools act as that principal.
final class MCPRoutes: Sendable {
    let gateway: Gateway
    let sessions: MCPSessions

    init(gateway: Gateway) {
        self.gateway = gateway
        self.sessions = MCPSessions()
    }

    func register(_ book: RouteBook) {
        for method in [HTTPRequest.Method.post, .get, .delete] {
            book.on(method, "/mcp") { [self] request, _ in
                try await self.handle(&request)
            }
        }
    }

    func handle(_ request: inout Request) async throws -> Response {
        let principal = try RequestReading.principal(request, of: gateway)
        let body = try await RequestReading.body(&request, limits: gateway.admission.limits)
        var headers: [String: String] = [:]
        for field in request.headers {
            // One value per name; repeated fields joined as HTTP allows.
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers, body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil,
            path: request.uri.path)
        let sessionID = mcpRequest.header(HTTPHeaderName.sessionID)
        let response: MCP.HTTPResponse
        if let sessionID {
            guard let session = await sessions.session(sessionID) else {
                throw Problem.notFound("no MCP session '\(sessionID)' (it ended or the server restarted): initialize a new one")
            }
            guard session.principalID == principal.id else {
                throw Problem(
                    .forbidden, type: Problem.typeURI(for: .forbidden), title: "Forbidden",
                    detail: "this MCP session belongs to another principal")
            }
            response = await session.transport.handleRequest(mcpRequest)
            if request.method == .delete { await sessions.end(sessionID) }
        } else {
            guard request.method == .post else {
                throw Problem.badRequest("a \(request.method.rawValue) on /mcp needs the Mcp-Session-Id of an initialized session")
            }
            let transport = StatefulHTTPServerTransport(validationPipeline: StandardValidationPipeline(validators: [
                SameOriginValidator(), AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(),
                ProtocolVersionValidator(), SessionValidator(),
            ]))
            let server = await GatewayTools.makeServer(backend: GatewayBackend(gateway: gateway, principal: principal))
            try await server.start(transport: transport)
            response = await transport.handleRequest(mcpRequest)
            if let id = response.headers.first(where: { $0.key.lowercased() == HTTPHeaderName.sessionID.lowercased() })?.value {
                await sessions.add(id, MCPSessions.Session(principalID: principal.id, transport: transport, server: server))
            } else {
                await server.stop()
            }
        }
        return Self.response(response)
    }

    static func response(_ response: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        let status = HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            let bytes = stream.map { ByteBuffer(bytes: $0) }
            return Response(status: status, headers: fields, body: ResponseBody(asyncSequence: bytes))
        default:
            let data = response.bodyData ?? Data()
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

/// The open MCP sessions of this server: at most ``limit`` per principal (its longest idle ends
/// first), each ended after ``idleSeconds`` without a request.
actor MCPSessions {
    struct Session {
        var principalID: String
        var transport: StatefulHTTPServerTransport
        var server: Server
        var lastUsed = Date()
    }

    /// Sessions per principal: a principal opening more ends its own longest idle one, never
    /// another principal's.
    static let limit = 32
    static let idleSeconds: TimeInterval = 3_600

    private var sessions: [String: Session] = [:]

    func session(_ id: String) -> Session? {
        sessions[id]?.lastUsed = Date()
        return sessions[id]
    }

    func add(_ id: String, _ session: Session) async {
        let now = Date()
        for (old, entry) in sessions where now.timeIntervalSince(entry.lastUsed) > Self.idleSeconds { await end(old) }
        let own = sessions.filter { $0.value.principalID == session.principalID }
        if own.count >= Self.limit, let oldest = own.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            await end(oldest)
        }
        sessions[id] = session
    }

    func end(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }
}

/// Refuses a request whose `Origin` (sent by browsers only) is not the server's own: a web page
/// elsewhere cannot drive the MCP endpoint. Every request also needs a principal's bearer key.
struct SameOriginValidator: HTTPRequestValidator {
    func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
        guard let origin = request.header(HTTPHeaderName.origin) else { return nil }
        let host = request.header(HTTPHeaderName.host) ?? ""
        guard let url = URL(string: origin), let originHost = url.host else {
            return .error(statusCode: 403, .invalidRequest("Forbidden: Origin not allowed"), sessionID: context.sessionID)
        }
        let originAuthority = originHost + (url.port.map { ":\($0)" } ?? "")
        guard originAuthority == host else {
            return .error(statusCode: 403, .invalidRequest("Forbidden: Origin not allowed"), sessionID: context.sessionID)
        }
        return nil
    }
}
