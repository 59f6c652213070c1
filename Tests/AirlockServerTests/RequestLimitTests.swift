import AirlockEngine
import AirlockServer
import HTTPTypes
import NIOCore
import AirlockTestSupport
import Testing

/// Bodies the server refuses, and ids and routes it does not know: each a 4xx with a clear
/// detail in problem+json, never a 5xx.
@Suite(.sharedResources) struct RequestLimitTests {
    @Test func malformedJSONIs400() async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.submit(#"{"resource": "catalog.product", "operation": "#)
            #expect(reply.status == .badRequest, "\(reply)")
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.json["detail"].string?.contains("not valid JSON") == true, "\(reply)")
            let array = try await api.submit("[1, 2]")
            #expect(array.status == .badRequest, "\(array)")
            #expect(array.json["detail"].string?.contains("JSON object") == true, "\(array)")
            let empty = try await api.submit("")
            #expect(empty.status == .badRequest, "\(empty)")
            let vote = try await api.post("/v1/mutations/mut_x/approve", key: TestServer.Key.bob, json: "{note")
            #expect(vote.status == .badRequest, "\(vote)")
        }
    }

    @Test func aWrongContentTypeIs415() async throws {
        try await TestServer.with { api, _ in
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
                let reply = try await api.send(
                    .post, "/v1/mutations", key: TestServer.Key.agent, body: ByteBuffer(string: Mutations.lowTitle),
                    headers: [.contentType: type])
                #expect(reply.status == .unsupportedMediaType, "\(type): \(reply)")
                #expect(reply.json["detail"].string?.contains("application/json") == true, "\(reply)")
            }
            let none = try await api.send(.post, "/v1/mutations", key: TestServer.Key.agent, body: ByteBuffer(string: Mutations.lowTitle))
            #expect(none.status == .unsupportedMediaType, "\(none)")
            let charset = try await api.send(
                .post, "/v1/mutations", key: TestServer.Key.agent, body: ByteBuffer(string: Mutations.lowTitle),
                headers: [.contentType: "application/json; charset=utf-8"])
            #expect(charset.status == .created, "\(charset)")
            let policy = try await api.send(
                .put, "/v1/policies/p", key: TestServer.Key.root, body: ByteBuffer(string: "policy: p"),
                headers: [.contentType: "image/png"])
            #expect(policy.status == .unsupportedMediaType, "\(policy)")
        }
    }

    @Test func aBodyOver1MiBIs413() async throws {
        try await TestServer.with { api, _ in
            let padding = String(repeating: "x", count: 1 << 20)
            let body = #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "\#(padding)"}}"#
            let reply = try await api.submit(body)
            #expect(reply.status == .contentTooLarge, "\(reply.status)")
            #expect(reply.json["detail"].string?.contains("1 MiB") == true, "\(reply.text.prefix(300))")
            let policy = try await api.send(
                .put, "/v1/policies/p", key: TestServer.Key.root, body: ByteBuffer(string: "# " + padding),
                headers: [.contentType: "application/yaml"])
            #expect(policy.status == .contentTooLarge, "\(policy.status)")
            // The server still answers.
            #expect(try await api.get("/healthz", key: nil).status == .ok)
            #expect(try await api.submit(Mutations.lowTitle).status == .created)
        }
    }

    @Test func jsonNestedDeeperThan64LevelsIs400() async throws {
        try await TestServer.with { api, _ in
            func nested(_ depth: Int) -> String {
                // The outer object is level 1; `changes` is level 2, and each array one more.
                let arrays = depth - 2
                let value = String(repeating: "[", count: arrays) + "1" + String(repeating: "]", count: arrays)
                return #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": \#(value)}}"#
            }
            let deep = try await api.submit(nested(65))
            #expect(deep.status == .badRequest, "\(deep)")
            #expect(deep.json["detail"].string?.contains("64") == true, "\(deep)")
            // 64 levels are still JSON; the mutation is merely invalid.
            let limit = try await api.submit(nested(64))
            #expect(limit.status == .unprocessableContent, "\(limit)")
            let veryDeep = try await api.submit(String(repeating: "[", count: 100_000))
            #expect(veryDeep.status == .badRequest, "\(veryDeep.status)")
        }
    }

    @Test func unknownIdsAndRoutesAreRefusedInProblemJSON() async throws {
        try await TestServer.with { api, _ in
            let id = try await api.get("/v1/mutations/mut_0000", key: TestServer.Key.agent)
            #expect(id.status == .notFound, "\(id)")
            #expect(id.contentType == "application/problem+json")
            #expect(id.json["detail"].string?.contains("mut_0000") == true, "\(id)")
            let wait = try await api.get("/v1/mutations/mut_0000?wait=5", key: TestServer.Key.agent)
            #expect(wait.status == .notFound, "\(wait)")
            let policy = try await api.send(.post, "/v1/policies/0123abcd/activate", key: TestServer.Key.root)
            #expect(policy.status == .notFound, "\(policy)")
            #expect(policy.json["detail"].string?.contains("0123abcd") == true, "\(policy)")

            for path in ["/v1/nothing", "/v1/mutations/a/b/c", "/v1", "/nothing"] {  // "/" is the console
                let route = try await api.get(path, key: TestServer.Key.agent)
                #expect(route.status == .notFound, "\(path): \(route)")
                #expect(route.contentType == "application/problem+json", "\(path): \(route)")
                #expect(route.json["detail"].string?.isEmpty == false, "\(path): \(route)")
            }
            let method = try await api.send(.delete, "/v1/mutations/mut_0000", key: TestServer.Key.agent)
            #expect(method.status == .methodNotAllowed, "\(method)")
            #expect(method.headers[.allow] == "GET, HEAD", "\(method)")
            #expect(method.contentType == "application/problem+json")
        }
    }

    @Test func aLongPollOnAnUnknownOrForbiddenMutationLeavesNoWatchBehind() async throws {
        try await TestServer.with { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let unknown = try await api.get("/v1/mutations/mut_nothing?wait=1", key: TestServer.Key.agent)
            #expect(unknown.status == .notFound, "\(unknown)")
            let forbidden = try await api.get("/v1/mutations/\(id)?wait=1", key: TestServer.Key.dave)
            #expect(forbidden.status == .forbidden, "\(forbidden)")
            #expect(parts.gateway.waitingRequests == 0)
        }
    }

    @Test func errorsAreCheckedInTheOrderThatNamesTheRealProblem() async throws {
        try await TestServer.with { api, _ in
            // A rejection without a note of an unknown mutation: 404, not 400 for the note.
            let unknown = try await api.send(.post, "/v1/mutations/mut_nothing/reject", key: TestServer.Key.bob, json: "{}")
            #expect(unknown.status == .notFound, "\(unknown)")
            // A non-admin's upload: 403, whatever its content type.
            let upload = try await api.send(
                .put, "/v1/policies/mine", key: TestServer.Key.bob, body: ByteBuffer(string: "x"), headers: [.contentType: "image/png"])
            #expect(upload.status == .forbidden, "\(upload)")
            // An approval with a JSON content type and no body is an approval without a note.
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let approved = try await api.send(
                .post, "/v1/mutations/\(id)/approve", key: TestServer.Key.bob, headers: [.contentType: "application/json"])
            #expect(approved.status == .ok, "\(approved)")
        }
    }

    @Test func headAnswersWhatGetWouldWithoutTheBody() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            for (path, key) in [("/healthz", nil), ("/openapi.yaml", nil), ("/v1/mutations/\(id)", TestServer.Key.agent)] {
                let get = try await api.send(.get, path, key: key)
                let head = try await api.send(.head, path, key: key)
                #expect(get.status == .ok && head.status == .ok, "\(path): \(head)")
                #expect(head.text.isEmpty, "\(path): \(head)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
                #expect(head.headers[.contentLength] == String(get.text.utf8.count), "\(path): \(head.headers)")
            }
            // The same checks as GET: no key, 401; another submitter's mutation, as GET answers.
            #expect(try await api.send(.head, "/v1/mutations/\(id)", key: nil).status == .unauthorized)
            #expect(try await api.send(.head, "/v1/nothing", key: TestServer.Key.agent).status == .notFound)
        }
    }

    @Test func badQueryParametersAre400() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            for query in ["wait=61", "wait=-1", "wait=soon", "wait=1&status=done"] {
                let reply = try await api.get("/v1/mutations/\(id)?\(query)", key: TestServer.Key.agent)
                #expect(reply.status == .badRequest, "\(query): \(reply)")
                #expect(reply.json["detail"].string?.isEmpty == false)
            }
            for query in ["after=-1", "after=x", "limit=0", "limit=1001"] {
                let reply = try await api.get("/v1/audit?\(query)", key: TestServer.Key.auditor)
                #expect(reply.status == .badRequest, "\(query): \(reply)")
            }
            let name = try await api.send(
                .put, "/v1/policies/..bad", key: TestServer.Key.root, body: ByteBuffer(string: "policy: p"),
                headers: [.contentType: "application/yaml"])
            #expect(name.status == .badRequest, "\(name)")
        }
    }
}
