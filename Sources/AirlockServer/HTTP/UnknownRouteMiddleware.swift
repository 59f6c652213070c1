import HTTPTypes
import Hummingbird

/// Answers requests that no route takes in problem+json, like every other refusal: 405 with
/// `Allow` when the path is served for other methods, 404 otherwise. Added after the routes, so
/// it only wraps the router's not-found answer.
struct UnknownRouteMiddleware: RouterMiddleware {
    typealias Context = AirlockRequestContext

    /// The served routes (`{name}` marks a path parameter).
    let routes: [(method: String, path: String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let served = routes.filter { Self.matches($0.path, path) }.map(\.method)
            let allowed = served.contains("GET") ? served + ["HEAD"] : served  // HEAD goes with GET
            guard allowed.isEmpty else {
                var response = Problem(
                    .methodNotAllowed, type: "urn:airlock:problem:method-not-allowed", title: "Method not allowed",
                    detail: "\(path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", "))"
                ).response
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            return Problem.notFound("there is no route \(request.method.rawValue) \(path); /openapi.yaml lists them").response
        }
    }

    /// Whether a concrete path fits a route's path, `{name}` standing for any one segment.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let pathParts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard patternParts.count == pathParts.count else { return false }
        return zip(patternParts, pathParts).allSatisfy { expected, actual in
            expected == actual || (expected.hasPrefix("{") && expected.hasSuffix("}") && !actual.isEmpty)
        }
    }
}
