import AirlockCore
import AirlockServer
import HTTPTypes
import NIOCore
import AirlockTestSupport
import Testing

/// Every `/v1` call needs a known bearer key (401 otherwise) and a role that may make it (403).
@Suite(.sharedResources) struct AuthenticationTests {
    /// One call of every authenticated route.
    static let calls: [(method: HTTPRequest.Method, path: String, body: String?)] = [
        (.post, "/v1/mutations", Mutations.lowTitle),
        (.get, "/v1/mutations", nil),
        (.get, "/v1/mutations/mut_x", nil),
        (.post, "/v1/mutations/mut_x/approve", "{}"),
        (.post, "/v1/mutations/mut_x/reject", #"{"note": "n"}"#),
        (.get, "/v1/reviews", nil),
        (.get, "/v1/audit", nil),
        (.get, "/v1/audit/verify", nil),
        (.get, "/v1/policies", nil),
        (.put, "/v1/policies/p", nil),
        (.post, "/v1/policies/abc/activate", nil),
    ]

    @Test(arguments: [nil, "not-a-known-key", "Basic a2V5", "Bearer"] as [String?])
    func withoutAKnownKeyEveryCallIs401(_ credential: String?) async throws {
        try await TestServer.with { api, _ in
            for call in Self.calls {
                var headers = HTTPFields()
                if let credential {
                    headers[.authorization] = credential.contains(" ") || credential == "Bearer" ? credential : "Bearer \(credential)"
                }
                let reply = try await api.send(call.method, call.path, key: nil, json: call.body, headers: headers)
                #expect(reply.status == .unauthorized, "\(call.method) \(call.path): \(reply)")
                #expect(reply.contentType == "application/problem+json")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(reply.json["detail"].string?.isEmpty == false)
            }
            // Nothing was recorded.
            #expect(try await api.get("/v1/mutations", key: TestServer.Key.auditor).json["items"].array.isEmpty)
        }
    }

    @Test func aRoleThatMayNotMakeTheCallIs403() async throws {
        try await TestServer.with { api, _ in
            let forbidden: [(method: HTTPRequest.Method, path: String, key: String)] = [
                (.post, "/v1/mutations", TestServer.Key.auditor),
                (.post, "/v1/mutations", TestServer.Key.root),
                (.post, "/v1/mutations", TestServer.Key.bob),
                (.get, "/v1/reviews", TestServer.Key.agent),
                (.get, "/v1/reviews", TestServer.Key.root),
                (.get, "/v1/audit", TestServer.Key.agent),
                (.get, "/v1/audit", TestServer.Key.bob),
                (.get, "/v1/audit/verify", TestServer.Key.agent),
                (.get, "/v1/policies", TestServer.Key.agent),
                (.post, "/v1/policies/abc/activate", TestServer.Key.bob),
                (.post, "/v1/policies/abc/activate", TestServer.Key.auditor),
            ]
            for call in forbidden {
                let body = call.path == "/v1/mutations" ? Mutations.lowTitle : nil
                let reply = try await api.send(call.method, call.path, key: call.key, json: body)
                #expect(reply.status == .forbidden, "\(call.method) \(call.path) as \(call.key): \(reply)")
                #expect(reply.contentType == "application/problem+json")
                #expect(reply.json["detail"].string?.isEmpty == false)
            }
            let upload = try await api.send(
                .put, "/v1/policies/p", key: TestServer.Key.bob, body: .init(string: "policy: p\n"),
                headers: [.contentType: "application/yaml"])
            #expect(upload.status == .forbidden, "\(upload)")

            // Reading another's mutation needs a reason to: submitter, pool reviewer, admin, auditor.
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.dave).status == .forbidden)
            #expect(try await api.get("/v1/mutations/\(id)?wait=1", key: TestServer.Key.dave).status == .forbidden)
            for key in [TestServer.Key.agent, TestServer.Key.alice, TestServer.Key.root, TestServer.Key.auditor] {
                #expect(try await api.get("/v1/mutations/\(id)", key: key).status == .ok, "\(key)")
            }
        }
    }

    @Test func healthReadinessAndTheDocumentNeedNoKey() async throws {
        try await TestServer.with { api, parts in
            let health = try await api.get("/healthz", key: nil)
            #expect(health.status == .ok)
            #expect(health.json["status"].string == "ok")
            let ready = try await api.get("/readyz", key: nil)
            #expect(ready.status == .ok, "\(ready)")
            #expect(ready.json["status"].string == "ready")
            #expect(ready.json["policy"].string == "payments-crm-catalog")
            #expect(ready.json["policy_version"].string == parts.pack.version)
            let document = try await api.get("/openapi.yaml", key: nil)
            #expect(document.status == .ok)
            #expect(document.contentType == "application/yaml")
            #expect(document.text.hasPrefix("openapi: 3.1"))
        }
    }
}
