import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// The configured limits (`limits:`), the per-principal rate limits (`rate_limits:`, a
/// principal's `rate_limit`), and what a reload of the configuration puts in force: each refusal
/// names the limit, nothing is recorded for a refused request, and others are not held up.
@Suite(.sharedResources) struct AbuseLimitTests {
    static let tight = """
        limits:
          body_bytes: 2048
          json_depth: 6
          string_bytes: 100
          array_items: 30
          bulk_targets: 25
          wait_seconds: 5
          long_polls_per_principal: 2
        rate_limits: { agent: none, service: none, human: none }
        """

    @Test func eachRequestLimitRefusesWhatIsPastItAndNamesIt() async throws {
        try await TestServer.with(extra: Self.tight) { api, parts in
            let title = { (text: String) in
                #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "\#(text)"}}"#
            }
            // body_bytes: 413.
            let large = try await api.submit(title(String(repeating: "x", count: 3000)))
            #expect(large.status == .contentTooLarge, "\(large)")
            #expect(large.json["detail"].string?.contains("limits.body_bytes") == true, "\(large)")
            // string_bytes: 400 at the string, escapes read first.
            let long = try await api.submit(title(String(repeating: "y", count: 101)))
            #expect(long.status == .badRequest, "\(long)")
            #expect(long.json["detail"].string?.contains("longer than 100 bytes") == true, "\(long)")
            #expect(long.json["detail"].string?.contains("limits.string_bytes") == true, "\(long)")
            let escaped = try await api.submit(title(String(repeating: #"\u0041"#, count: 101)))
            #expect(escaped.status == .badRequest, "\(escaped)")
            #expect(try await api.submit(title(String(repeating: "y", count: 100))).status == .created)
            // json_depth: 400.
            let deep = try await api.submit(
                #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": [[[[[1]]]]]}}"#)
            #expect(deep.status == .badRequest, "\(deep)")
            #expect(deep.json["detail"].string?.contains("deeper than 6") == true, "\(deep)")
            #expect(deep.json["detail"].string?.contains("limits.json_depth") == true, "\(deep)")
            // array_items: 400.
            let many = (1...31).map { "\"sku-\($0)\"" }.joined(separator: ",")
            let array = try await api.submit(
                #"{"resource": "catalog.product", "operation": "update", "targets": [\#(many)], "changes": {"price": 9.99}}"#)
            #expect(array.status == .badRequest, "\(array)")
            #expect(array.json["detail"].string?.contains("more than 30 elements") == true, "\(array)")
            #expect(array.json["detail"].string?.contains("limits.array_items") == true, "\(array)")
            // bulk_targets: 422 on `targets`, recorded as an invalid mutation like any other.
            let bulk = (1...26).map { "\"sku-\($0)\"" }.joined(separator: ",")
            let targets = try await api.submit(
                #"{"resource": "catalog.product", "operation": "update", "targets": [\#(bulk)], "changes": {"price": 9.99}}"#)
            #expect(targets.status == .unprocessableContent, "\(targets)")
            #expect(targets.json["errors"][0]["path"].string == "targets", "\(targets)")
            #expect(targets.json["errors"][0]["message"].string?.contains("limits.bulk_targets") == true, "\(targets)")
            let fewer = (1...25).map { "\"sku-\($0)\"" }.joined(separator: ",")
            let allowed = try await api.submit(
                #"{"resource": "catalog.product", "operation": "update", "targets": [\#(fewer)], "changes": {"price": 9.99}}"#)
            #expect(allowed.status == .created, "\(allowed)")
            // wait_seconds: 400 past it.
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let wait = try await api.get("/v1/mutations/\(id)?wait=6", key: TestServer.Key.agent)
            #expect(wait.status == .badRequest, "\(wait)")
            #expect(wait.json["detail"].string?.contains("limits.wait_seconds") == true, "\(wait)")
            #expect(parts.gateway.waitingRequests == 0)
        }
    }

    @Test func aStringOver64KiBIsRefusedByDefault() async throws {
        try await TestServer.with { api, _ in
            let text = String(repeating: "z", count: 65_537)
            let reply = try await api.submit(
                #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "\#(text)"}}"#)
            #expect(reply.status == .badRequest, "\(reply.status)")
            #expect(reply.json["detail"].string?.contains("longer than 65536 bytes") == true, "\(reply.text.prefix(300))")
        }
    }

    @Test func aPrincipalHoldsAtMostItsLongPollsOpen() async throws {
        try await TestServer.with(extra: Self.tight) { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let first = Task { try await api.get("/v1/mutations/\(id)?wait=5", key: TestServer.Key.agent) }
            let second = Task { try await api.get("/v1/mutations/\(id)?wait=5", key: TestServer.Key.agent) }
            try await Self.eventually { parts.gateway.waitingRequests == 2 }
            let third = try await api.get("/v1/mutations/\(id)?wait=5", key: TestServer.Key.agent)
            #expect(third.status == .tooManyRequests, "\(third)")
            #expect(third.headers[.retryAfter] == "1", "\(third.headers)")
            #expect(third.json["detail"].string?.contains("limits.long_polls_per_principal") == true, "\(third)")
            // Another principal's long poll is its own; a plain read is no long poll.
            let other = Task { try await api.get("/v1/mutations/\(id)?wait=5", key: TestServer.Key.bob) }
            try await Self.eventually { parts.gateway.waitingRequests == 3 }
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent).status == .ok)
            // The approval ends all three; the agent may wait again.
            #expect(try await api.approve(id, key: TestServer.Key.alice).status == .ok)
            for task in [first, second, other] { #expect(try await task.value.status == .ok) }
            try await Self.eventually { parts.gateway.waitingRequests == 0 }
            let again = Task { try await api.get("/v1/mutations/\(id)?wait=5&status=approved", key: TestServer.Key.agent) }
            try await Self.eventually { parts.gateway.waitingRequests == 1 }
            parts.gateway.endWaits()
            #expect(try await again.value.status == .ok)
        }
    }

    @Test func theConsolesLiveUpdatesCountAmongTheReadersLongPolls() async throws {
        try await TestServer.with(extra: Self.tight) { api, parts in
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let page = try await browser.request(.get, "/")
            let seq = try #require(page.text.firstMatch(of: /data-live-seq="(\d+)"/).map { String($0.1) })
            let cookies = browser.cookies
            let tab = { @Sendable (seq: String) async throws -> Reply in
                var poll = ConsoleSession(api)
                poll.cookies = cookies
                return try await poll.request(.get, "/console/changes?after=\(seq)")
            }
            // Two tabs wait; a third is told to wait (its page asks again after a pause).
            let first = Task { try await tab(seq) }
            let second = Task { try await tab(seq) }
            try await Self.eventually { parts.gateway.waitingRequests == 2 }
            let third = try await tab(seq)
            #expect(third.status == .tooManyRequests, "\(third)")
            #expect(third.headers[.retryAfter] == "1", "\(third.headers)")
            #expect(third.json["detail"].string?.contains("limits.long_polls_per_principal") == true, "\(third)")
            // The console's and the API's long polls are one count per principal.
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            var now = seq
            for task in [first, second] {
                let woken = try await task.value
                #expect(woken.status == .ok, "woken by the submission: \(woken)")
                now = woken.json["seq"].int.map(String.init) ?? now
            }
            let apiWait = Task { try await api.get("/v1/mutations/\(id)?wait=5", key: TestServer.Key.bob) }
            let fourth = Task { [now] in try await tab(now) }
            try await Self.eventually { parts.gateway.waitingRequests == 2 }
            #expect(try await tab(now).status == .tooManyRequests)
            parts.gateway.endWaits()
            #expect(try await apiWait.value.status == .ok)
            #expect(try await fourth.value.status == .ok)
        }
    }

    @Test func aPrincipalOverItsRateIsAnswered429WithRetryAfterAndOthersGoOn() async throws {
        let clock = ManualClock(TestServer.businessHours)
        let extra = """
            rate_limits:
              agent: { rate: 2/s, burst: 3 }
              human: none
            """
        try await TestServer.with(clock: clock, extra: extra) { api, _ in
            for n in 1...3 {
                let reply = try await api.submit(Mutations.lowTitle)
                #expect(reply.status == .created, "request \(n): \(reply)")
            }
            let refused = try await api.submit(Mutations.lowTitle)
            #expect(refused.status == .tooManyRequests, "\(refused)")
            #expect(refused.contentType == "application/problem+json")
            #expect(refused.headers[.retryAfter] == "1", "\(refused.headers)")
            #expect(refused.json["type"].string == "urn:airlock:problem:too-many-requests", "\(refused)")
            #expect(refused.json["detail"].string?.contains("rate_limits.agent") == true, "\(refused)")
            // Reads count too; and nothing was recorded for the refused submission.
            #expect(try await api.get("/v1/mutations", key: TestServer.Key.agent).status == .tooManyRequests)
            let listed = try await api.get("/v1/mutations?limit=500", key: TestServer.Key.root)
            #expect(listed.json["items"].array.count == 3, "\(listed.text.prefix(300))")
            // A person is not held up by the agent's loop.
            #expect(try await api.get("/v1/reviews", key: TestServer.Key.bob).status == .ok)
            // Half a second gives one token back at 2/s.
            clock.advance(by: 0.5)
            #expect(try await api.submit(Mutations.lowTitle).status == .created)
            #expect(try await api.submit(Mutations.lowTitle).status == .tooManyRequests)
        }
    }

    @Test func aPrincipalsOwnRateLimitOverridesItsKinds() throws {
        let text = TestServer.configurationText(stateDirectory: "/tmp/x", extra: "rate_limits: { agent: { rate: 600/m } }")
            .replacingOccurrences(of: "{ id: agent-7, kind: agent,", with: "{ id: agent-7, kind: agent, rate_limit: none,")
            .replacingOccurrences(
                of: "{ id: dave, kind: human,", with: "{ id: dave, kind: human, rate_limit: { rate: 5/s, burst: 7 },")
        let configuration = try GatewayConfiguration.parse(text, file: "/tmp/x/airlock.yaml")
        #expect(configuration.rateLimits.agent == RateLimit(perSecond: 10, burst: 20))
        let agent = try #require(configuration.principals.principal(id: "agent-7"))
        #expect(configuration.rateLimits.limit(for: agent).limit.isUnlimited)
        let dave = try #require(configuration.principals.principal(id: "dave"))
        #expect(configuration.rateLimits.limit(for: dave).limit == RateLimit(perSecond: 5, burst: 7))
        let bob = try #require(configuration.principals.principal(id: "bob"))
        #expect(configuration.rateLimits.limit(for: bob).limit == RateLimits().human)
    }

    @Test(arguments: [
        ("limits: { body_bytes: 0 }", "limits.body_bytes must be a positive whole number"),
        ("limits: { json_depth: 65 }", "limits.json_depth must be at most 64"),
        ("limits: { cel_cost: 5 }", "unknown key 'cel_cost' in limits"),
        ("rate_limits: { robot: none }", "unknown key 'robot' in rate_limits"),
        ("rate_limits: { agent: { rate: fast } }", "rate_limits.agent.rate must be a positive rate"),
        ("rate_limits: { agent: { burst: 5 } }", "rate_limits.agent needs a rate"),
        ("rate_limits: { agent: { rate: 5/s, burst: -1 } }", "rate_limits.agent.burst must be a positive whole number"),
    ])
    func badLimitsAreConfigurationErrorsWithTheirPlace(_ yaml: String, _ message: String) {
        let text = TestServer.configurationText(stateDirectory: "/tmp/x", extra: yaml)
        do {
            _ = try GatewayConfiguration.parse(text, file: "/tmp/x/airlock.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.message.contains(message), "\(error)")
            #expect(error.line != nil, "\(error)")
        }
    }

    @Test func aReloadRevokesARemovedKeyAtOnceAndKeepsTheRunningConfigurationWhenItDoesNotLoad() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let file = directory + "/airlock.yaml"
        let original = TestServer.configurationText(stateDirectory: directory)
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        try await TestServer.run(stateDirectory: directory) { api, parts in
            let running = try GatewayConfiguration.load(file: file)
            #expect(try await api.get("/v1/reviews", key: TestServer.Key.dave).status == .ok)
            // Dave leaves; the agent gets a rate limit.
            let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("id: dave,") }.joined(separator: "\n")
            let edited = lines.replacingOccurrences(
                of: TestServer.noRateLimits, with: "rate_limits: { agent: { rate: 1/s, burst: 1 }, service: none, human: none }")
            try edited.write(toFile: file, atomically: true, encoding: .utf8)
            let left = try ConfigurationReload.apply(file: file, to: parts.gateway, running: running)
            #expect(left.isEmpty, "\(left)")
            let refused = try await api.get("/v1/reviews", key: TestServer.Key.dave)
            #expect(refused.status == .unauthorized, "\(refused)")
            #expect(try await api.submit(Mutations.lowTitle).status == .created)
            #expect(try await api.submit(Mutations.lowTitle).status == .tooManyRequests)

            // A file that leaves a pool of the active policy without members is not applied.
            let orphan = edited.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: ", support-leads]", with: "]") }.joined(separator: "\n")
            try orphan.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(throws: ConfigurationError.self) {
                try ConfigurationReload.apply(file: file, to: parts.gateway, running: running)
            }
            #expect(parts.gateway.principals.principal(id: "alice")?.pools.contains("support-leads") == true)
            // Nor is a file that does not parse.
            try "principals: [".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(throws: ConfigurationError.self) {
                try ConfigurationReload.apply(file: file, to: parts.gateway, running: running)
            }
            #expect(parts.gateway.principals.principal(id: "bob") != nil)
            // What needs a restart is named, and the rest applied.
            try original.replacingOccurrences(of: "listen: 127.0.0.1:8080", with: "listen: 127.0.0.1:9090")
                .write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try ConfigurationReload.apply(file: file, to: parts.gateway, running: running) == ["listen"])
            #expect(try await api.get("/v1/reviews", key: TestServer.Key.dave).status == .ok)
        }
    }

    /// Waits on real time (the requests are real) until `condition` holds, for at most 15 s.
    static func eventually(
        sourceLocation: Testing.SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        let start = ContinuousClock.now
        while !(try await condition()) {
            guard ContinuousClock.now - start < .seconds(15) else {
                Issue.record("the condition did not hold within 15 s", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
