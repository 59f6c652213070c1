import AirlockCore
import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

/// `GET /v1/system` and `POST /v1/system/freeze`, and the example pack's rules that read
/// `system.*`, each driven into firing through the API.
@Suite(.sharedResources) struct SystemTests {
    static func freeze(_ api: APIClient, _ json: String, key: String = TestServer.Key.root) async throws -> Reply {
        try await api.post("/v1/system/freeze", key: key, json: json)
    }

    static func rules(_ reply: Reply) -> [String] {
        reply.json["reasons"].array.compactMap { $0["rule"].string }
    }

    // MARK: The example pack's rules

    @Test("freeze-automation: during a freeze an agent's harmless change waits for approval, a person's does not")
    func freezeAutomationFires() async throws {
        try await TestServer.with { api, _ in
            let before = try await api.submit(Mutations.lowTitle)
            #expect(before.json["tier"].string == "low", "\(before)")
            #expect(!Self.rules(before).contains("freeze-automation"))

            let frozen = try await Self.freeze(api, #"{"on": true, "reason": "payments incident"}"#)
            #expect(frozen.status == .ok, "\(frozen)")
            #expect(frozen.json["freeze"]["on"].bool == true)

            let held = try await api.submit(Mutations.lowTitle)
            #expect(held.status == .created, "\(held)")
            #expect(held.json["tier"].string == "high")
            #expect(held.json["status"].string == "pending_review")
            #expect(Self.rules(held) == ["freeze-automation"], "\(held)")
            #expect(held.json["reasons"][0]["message"].string == "Incident freeze: changes by agent agent-7 wait for approval")
            let person = try await api.submit(Mutations.lowTitle, key: TestServer.Key.alice)
            #expect(person.json["tier"].string == "low", "\(person)")
            #expect(Self.rules(person).isEmpty)

            let thawed = try await Self.freeze(api, #"{"on": false}"#)
            #expect(thawed.status == .ok, "\(thawed)")
            #expect(thawed.json["freeze"]["on"].bool == false)
            let after = try await api.submit(Mutations.lowTitle)
            #expect(after.json["tier"].string == "low", "\(after)")
        }
    }

    @Test("rollback-spike: once a rolled-back change makes the hour's rate exceed 5%, everything is reviewed")
    func rollbackSpikeFires() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await ExecutionTests.withExecutors(clock: clock) { api, _ in
            let notes = #"{"resource":"crm.customer","operation":"update","target":"cus-1","changes":{"notes":"vip"}}"#
            let executed = try await api.submit(notes)
            #expect(executed.json["status"].string == "executed", "\(executed)")
            let id = try #require(executed.json["id"].string)
            let calm = try await api.submit(Mutations.lowTitle)
            #expect(calm.json["tier"].string == "low", "\(calm)")
            #expect(!Self.rules(calm).contains("rollback-spike"))
            #expect(try await api.get("/v1/system", key: TestServer.Key.agent).json["rollback_rate_1h"].double == 0)

            let back = try await api.post("/v1/mutations/\(id)/rollback", key: TestServer.Key.root, json: #"{"note":"wrong customer"}"#)
            #expect(back.json["status"].string == "rolled_back", "\(back)")
            // Two executed in the hour (the notes and the title), one rolled back.
            let system = try await api.get("/v1/system", key: TestServer.Key.agent)
            #expect(system.json["rollback_rate_1h"].double == 0.5, "\(system)")

            let spiked = try await api.submit(Mutations.lowTitle)
            #expect(spiked.json["tier"].string == "medium", "\(spiked)")
            #expect(Self.rules(spiked) == ["rollback-spike"], "\(spiked)")
            #expect(spiked.json["reasons"][0]["message"].string?.hasSuffix("of recent changes were rolled back; reviewing everything for now") == true)

            // An hour later the rollback has left the window and the rule no longer fires.
            clock.advance(by: 3660)
            let later = try await api.submit(Mutations.lowTitle)
            #expect(later.json["tier"].string == "low", "\(later)")
        }
    }

    // MARK: GET /v1/system

    @Test("GET /v1/system shows the freeze, the queue depth, the rollback rate and the policy in force")
    func systemShowsItsState() async throws {
        try await TestServer.with { api, parts in
            let fresh = try await api.get("/v1/system", key: TestServer.Key.agent)
            #expect(fresh.status == .ok, "\(fresh)")
            #expect(fresh.json["freeze"]["on"].bool == false)
            #expect(fresh.json["freeze"]["by"].isNull && fresh.json["freeze"]["since"].isNull)
            #expect(fresh.json["queue_depth"].int == 0)
            #expect(fresh.json["rollback_rate_1h"].double == 0)
            #expect(fresh.json["policy"]["name"].string == parts.pack.name)
            #expect(fresh.json["policy"]["version"].string == parts.pack.version)

            let first = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            _ = try await api.submit(Mutations.highRepricing)
            #expect(try await api.get("/v1/system", key: TestServer.Key.bob).json["queue_depth"].int == 2)
            #expect(try await api.approve(first, key: TestServer.Key.bob).json["status"].string == "approved")
            #expect(try await api.get("/v1/system", key: TestServer.Key.bob).json["queue_depth"].int == 1)
            #expect(try await api.get("/v1/system", key: nil).status == .unauthorized)
        }
    }

    // MARK: POST /v1/system/freeze

    @Test("a freeze survives a restart and is in the audit log with who, on/off and why")
    func freezeSurvivesARestartAndIsAudited() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.run(stateDirectory: directory, clock: clock) { api, _ in
            let reply = try await Self.freeze(api, #"{"on": true, "reason": "payments incident"}"#)
            #expect(reply.status == .ok, "\(reply)")
            #expect(reply.json["freeze"]["reason"].string == "payments incident")
            #expect(reply.json["freeze"]["by"].string == "root")
            #expect(reply.json["freeze"]["since"].string == "2026-01-06T10:00:00Z")
        }
        clock.advance(by: 300)
        try await TestServer.run(stateDirectory: directory, clock: clock) { api, _ in
            let system = try await api.get("/v1/system", key: TestServer.Key.agent)
            #expect(system.json["freeze"]["on"].bool == true, "\(system)")
            #expect(system.json["freeze"]["reason"].string == "payments incident")
            #expect(system.json["freeze"]["since"].string == "2026-01-06T10:00:00Z")
            let held = try await api.submit(Mutations.lowTitle)
            #expect(Self.rules(held) == ["freeze-automation"], "\(held)")

            #expect(try await Self.freeze(api, #"{"on": false, "reason": "resolved"}"#).status == .ok)
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
            let freezes = audit.json["items"].array.filter { $0["kind"].string == "freeze_changed" }
            #expect(freezes.map { $0["actor"].string } == ["root", "root"], "\(audit)")
            #expect(freezes.map { $0["payload"].string } == [
                #"{"on":true,"reason":"payments incident"}"#, #"{"on":false,"reason":"resolved"}"#,
            ])
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    @Test("only an admin may freeze or thaw: 403 for others, 401 without a key, and nothing changes")
    func freezeIsAdminOnly() async throws {
        try await TestServer.with { api, _ in
            for key in [TestServer.Key.agent, TestServer.Key.bob, TestServer.Key.auditor] {
                let reply = try await Self.freeze(api, #"{"on": true, "reason": "incident"}"#, key: key)
                #expect(reply.status == .forbidden, "\(reply)")
                #expect(reply.contentType == "application/problem+json")
                #expect(reply.json["detail"].string?.contains("admin") == true, "\(reply)")
            }
            #expect(try await api.post("/v1/system/freeze", key: nil, json: #"{"on": true}"#).status == .unauthorized)
            #expect(try await api.get("/v1/system", key: TestServer.Key.agent).json["freeze"]["on"].bool == false)
        }
    }

    @Test(
        "bad freeze requests are refused with the field named",
        arguments: [
            (#"{"reason": "incident"}"#, "on"), (#"{"on": "yes", "reason": "incident"}"#, "on"),
            (#"{"on": 1, "reason": "incident"}"#, "on"), (#"{"on": true, "reason": 5}"#, "reason"),
            (#"{"on": true}"#, "reason"), (#"{"on": true, "reason": "  "}"#, "reason"),
            (#"{"on": true, "reason": "incident", "until": "tomorrow"}"#, "until"),
        ])
    func badFreezeRequests(body: String, field: String) async throws {
        try await TestServer.with { api, _ in
            let reply = try await Self.freeze(api, body)
            #expect(reply.status == .badRequest, "\(reply)")
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.json["errors"].array.map { $0["path"].string } == [field], "\(reply)")
            #expect(try await api.get("/v1/system", key: TestServer.Key.agent).json["freeze"]["on"].bool == false)
        }
    }
}
