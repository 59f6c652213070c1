import AirlockEngine
import HTTPTypes
import Hummingbird
import Logging

/// Registers routes on a router and remembers them, so that a test can hold the served routes
/// against the OpenAPI document.
final class RouteBook {
    let router: Router<AirlockRequestContext>
    private(set) var routes: [(method: String, path: String)] = []

    init(router: Router<AirlockRequestContext>) {
        self.router = router
    }

    /// Registers `handler` for `method path` (`{name}` marks a path parameter). Every problem
    /// the handler throws is answered as problem+json.
    /// `routerPath` names the parameters for the router when two routes share a prefix with
    /// differently named parameters (the router needs one name per position).
    func on(
        _ method: HTTPRequest.Method, _ path: String, routerPath: String? = nil,
        _ handler: @escaping @Sendable (inout Request, AirlockRequestContext) async throws -> Response
    ) {
        routes.append((method.rawValue, path))
        let respond: @Sendable (Request, AirlockRequestContext) async -> Response = { request, context in
            var request = request
            do {
                return try await handler(&request, context)
            } catch let problem as Problem {
                return problem.response
            } catch let error as GatewayError {
                return Problem(error).response
            } catch {
                context.logger.error("unexpected error: \(error)")
                return Problem(
                    .internalServerError, type: "urn:airlock:problem:internal", title: "Internal error",
                    detail: "the request failed unexpectedly; the server's log has the details"
                ).response
            }
        }
        router.on(RouterPath(routerPath ?? path), method: method) { request, context in
            await respond(request, context)
        }
        // HEAD answers what GET would, status and headers (Content-Length included), without the
        // body (RFC 9110, 9.3.2).
        if method == .get {
            router.on(RouterPath(routerPath ?? path), method: .head) { request, context in
                let full = await respond(request, context)
                return Response(status: full.status, headers: full.headers, body: ResponseBody())
            }
        }
    }
}
