import AirlockServer
import Foundation
import HTTPTypes
import AirlockTestSupport
import Testing
import Yams

/// The served `/openapi.yaml` describes exactly the routes the router serves.
@Suite(.sharedResources) struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    @Test func theDocumentsPathsAndMethodsAreExactlyTheServedRoutes() async throws {
        try await TestServer.with { api, parts in
            let reply = try await api.get("/openapi.yaml", key: nil)
            #expect(reply.status == .ok)
            let document = try #require(try Yams.load(yaml: reply.text) as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: Any])
            var documented: Set<String> = []
            for (path, item) in paths {
                let operations = try #require(item as? [String: Any], "\(path)")
                for method in operations.keys where Self.methods.contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            let served = Set(buildRouter(parts.gateway).routes.map { "\($0.method) \($0.path)" })
            #expect(served.count == buildRouter(parts.gateway).routes.count, "no route is registered twice")
            #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
            #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
            // The routes of the contract are among them.
            let contract: Set<String> = [
                "POST /v1/mutations", "GET /v1/mutations", "GET /v1/mutations/{id}", "POST /v1/mutations/{id}/approve",
                "POST /v1/mutations/{id}/reject", "GET /v1/reviews", "GET /v1/audit", "GET /v1/audit/verify",
                "GET /v1/policies", "PUT /v1/policies/{name}", "POST /v1/policies/{version}/activate", "GET /healthz",
                "GET /readyz", "GET /openapi.yaml",
            ]
            #expect(contract.subtracting(served).isEmpty, "not served: \(contract.subtracting(served).sorted())")

            // Every documented route is there: the /v1 ones and /mcp ask for a key, the others answer.
            for route in served.sorted() {
                let parts = route.split(separator: " ")
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "mut_x")
                    .replacingOccurrences(of: "{name}", with: "p").replacingOccurrences(of: "{version}", with: "v")
                let answer = try await api.send(.init(String(parts[0]))!, path, key: nil)
                #expect(answer.status == (path.hasPrefix("/v1/") || path == "/mcp" ? .unauthorized : .ok), "\(route): \(answer)")
            }
        }
    }
}
