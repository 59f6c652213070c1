import AirlockCore
import AirlockEngine
import AirlockTestSupport
import AirlockServer
import AirlockStore
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// The server keeps its state across restarts on the same state directory.
@Suite(.sharedResources) struct RestartTests {
    @Test func aPendingMutationIsStillPendingAfterARestartAndCanThenBeApproved() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let clock = ManualClock(TestServer.businessHours)

        let (id, lowID) = try await TestServer.run(stateDirectory: directory, clock: clock) { api, _ in
            let pending = try await api.submit(Mutations.highRepricing, idempotencyKey: "batch-7")
            #expect(pending.json["status"].string == "pending_review", "\(pending)")
            let id = try #require(pending.json["id"].string)
            #expect(try await api.approve(id, key: TestServer.Key.bob).json["status"].string == "pending_review")
            let low = try #require(try await api.submit(Mutations.lowTitle).json["id"].string)
            return (id, low)
        }

        clock.advance(by: 60)
        try await TestServer.run(stateDirectory: directory, clock: clock) { api, _ in
            let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
            #expect(read.status == .ok, "\(read)")
            #expect(read.json["status"].string == "pending_review")
            #expect(read.json["approvals"]["received"].array.map { $0["reviewer"].string } == ["bob"])
            #expect(try await api.get("/v1/mutations/\(lowID)", key: TestServer.Key.agent).json["status"].string == "approved")

            // The idempotency key and the vote survived too.
            let replay = try await api.submit(Mutations.highRepricing, idempotencyKey: "batch-7")
            #expect(replay.status == .ok, "\(replay)")
            #expect(replay.json["id"].string == id)
            #expect(try await api.approve(id, key: TestServer.Key.bob).status == .conflict)
            let queue = try await api.get("/v1/reviews", key: TestServer.Key.carol)
            #expect(queue.json["items"].array.map { $0["mutation_id"].string } == [id], "\(queue)")

            let approved = try await api.approve(id, key: TestServer.Key.carol)
            #expect(approved.status == .ok, "\(approved)")
            #expect(approved.json["status"].string == "approved")

            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    @Test func anActivatedPolicyAndARollbackSurviveARestart() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let (original, strict) = try await TestServer.run(stateDirectory: directory) { api, parts in
            let uploaded = try await api.send(
                .put, "/v1/policies/strict", key: TestServer.Key.root, body: ByteBuffer(string: PolicyTests.strictPack),
                headers: [.contentType: "application/yaml"])
            let strict = try #require(uploaded.json["version"].string, "\(uploaded)")
            #expect(try await api.send(.post, "/v1/policies/\(strict)/activate", key: TestServer.Key.root).status == .ok)
            return (parts.pack.version, strict)
        }
        try await TestServer.run(stateDirectory: directory) { api, _ async throws in
            #expect(try await api.get("/readyz", key: nil).json["policy_version"].string == strict)
            #expect(try await api.submit(Mutations.lowTitle).json["tier"].string == "high")
            #expect(try await api.send(.post, "/v1/policies/\(original)/activate", key: TestServer.Key.root).status == .ok)
        }
        try await TestServer.run(stateDirectory: directory) { api, _ async throws in
            #expect(try await api.get("/readyz", key: nil).json["policy_version"].string == original)
            #expect(try await api.submit(Mutations.lowTitle).json["tier"].string == "low")
            #expect(try await api.get("/v1/audit/verify", key: TestServer.Key.auditor).json["intact"].bool == true)
        }
    }

    @Test func anActiveVersionThatNoLongerChecksGivesWayToTheConfiguredPackAtStartUp() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let configured = try await TestServer.run(stateDirectory: directory) { _, parts in
            // Stored and activated as an earlier Airlock might have: a score this one refuses.
            var change = StoreChange(at: Date())
            change.recordPolicyVersion(try PolicyTests.versionThatNoLongerChecks())
            change.activatePolicyVersion(
                hash: "0ldc0de", by: "root", audit: AuditEntry(kind: .policyActivated, actor: "root", payload: "{}", policyVersion: "0ldc0de"))
            _ = try await parts.store.apply(change)
            return parts.pack.version
        }
        try await TestServer.run(stateDirectory: directory) { api, _ async throws in
            #expect(try await api.get("/readyz", key: nil).json["policy_version"].string == configured)
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor).json["items"].array
            let last = try #require(audit.last { $0["kind"].string == "policy_activated" })
            #expect("\(last)".contains("0ldc0de no longer checks"), "\(last)")
        }
    }
}
