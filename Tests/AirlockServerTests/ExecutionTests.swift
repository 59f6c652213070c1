import AirlockEngine
import AirlockTestSupport
import AirlockServer
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Execution through the gateway, against the demo database the embedded defaults use: the row
/// changes on approval, a rejected parallel review and a failed verification roll it back, and a
/// stale `before` is refused.
@Suite("Guarded execution through the gateway", .sharedResources)
struct ExecutionTests {
    /// Runs the test server with `sql` executors over a fresh demo database.
    static func withExecutors(
        clock: ManualClock = ManualClock(TestServer.businessHours),
        prepare: @Sendable (DatabaseQueue) throws -> Void = { _ in },
        _ body: @Sendable (APIClient, DatabaseQueue) async throws -> Void
    ) async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let database = directory + "/" + DemoDatabase.fileName
        try DemoDatabase.create(at: database)
        let queue = try DatabaseQueue(path: database)
        try prepare(queue)
        var configuration = try GatewayConfiguration.parse(
            TestServer.configurationText(stateDirectory: directory), file: directory + "/airlock.yaml")
        configuration.port = 0
        configuration.executors = DemoDatabase.executorConfiguration(databasePath: database)
        var logger = Logger(label: "airlock-test")
        logger.logLevel = .warning
        let (application, _) = try await buildApplication(
            configuration, clock: clock, logger: logger)
        try await application.test(.live) { client in
            guard let port = client.port else { throw TestServerError.noPort }
            try await body(APIClient(port: port), queue)
        }
    }

    static func email(_ queue: DatabaseQueue, _ id: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "SELECT email FROM customers WHERE id = ?", arguments: [id]) }
    }

    @Test("a low-tier change is executed and the row changes")
    func lowTierExecutes() async throws {
        try await Self.withExecutors { api, queue in
            let reply = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"called back"}}"#)
            #expect(reply.status == .created)
            #expect(reply.json["status"].string == "executed")
            let notes = try await queue.read { db in
                try String.fetchOne(db, sql: "SELECT notes FROM customers WHERE id = 'cus-42'")
            }
            #expect(notes == "called back")
        }
    }

    @Test("rejecting a medium-tier mutation's parallel review rolls the executed change back")
    func mediumRejectionRollsBack() async throws {
        try await Self.withExecutors { api, queue in
            let before = try Self.email(queue, "cus-42")
            let reply = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"email":"zoe@example.com"}}"#)
            #expect(reply.json["tier"].string == "medium")
            #expect(reply.json["status"].string == "executed")
            #expect(try Self.email(queue, "cus-42") == "zoe@example.com")
            let id = try #require(reply.json["id"].string)
            let rejected = try await api.reject(id, key: TestServer.Key.bob, note: "not requested by the customer")
            #expect(rejected.status == .ok)
            #expect(rejected.json["status"].string == "rolled_back")
            #expect(try Self.email(queue, "cus-42") == before)
        }
    }

    @Test("a read-back that does not match rolls back and raises a verification_failed alarm")
    func verificationFailureRollsBack() async throws {
        try await Self.withExecutors(prepare: Self.installTamperTrigger) { api, _ in
            let reply = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-7","changes":{"notes":"renewal in March"}}"#)
            let id = reply.json["id"].string ?? ""
            #expect(!id.isEmpty)
            let view = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root)
            // The tampered row no longer equals the after-image, so the rollback is refused
            // (no blind overwrite) and the change stands; either way the alarm is raised.
            #expect(["rolled_back", "executed"].contains(view.json["status"].string ?? ""))
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
            let kinds = audit.json["items"].array.filter { $0["mutation_id"].string == id }.compactMap { $0["kind"].string }
            #expect(kinds.contains("verification_failed"))
            #expect(kinds.contains("rolling_back"))
        }
    }

    /// A trigger that rewrites the notes after every update: the read-back cannot match.
    static func installTamperTrigger(_ queue: DatabaseQueue) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER tamper AFTER UPDATE OF notes ON customers WHEN NEW.notes != 'tampered'
                    BEGIN UPDATE customers SET notes = 'tampered' WHERE id = NEW.id; END
                    """)
        }
    }

    @Test("a before that disagrees with the row is a conflict; the policy sees the real values")
    func staleBeforeIsRefused() async throws {
        try await Self.withExecutors { api, _ in
            let stale = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"x"},"before":{"notes":"not what the row holds"}}"#)
            #expect(stale.status == .conflict)
            #expect(stale.text.contains("before.notes"))
        }
    }

    @Test("an executed mutation is rolled back on request, and a second rollback is refused")
    func manualRollback() async throws {
        try await Self.withExecutors { api, queue in
            let reply = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-1","changes":{"notes":"vip"}}"#)
            let id = try #require(reply.json["id"].string)
            #expect(reply.json["status"].string == "executed")
            let done = try await api.post(
                "/v1/mutations/\(id)/rollback", key: TestServer.Key.root, json: #"{"note":"wrong customer"}"#)
            #expect(done.json["status"].string == "rolled_back")
            let notes = try await queue.read { db in try String.fetchOne(db, sql: "SELECT notes FROM customers WHERE id = 'cus-1'") }
            #expect(notes != "vip")
            let again = try await api.post(
                "/v1/mutations/\(id)/rollback", key: TestServer.Key.root, json: #"{"note":"again"}"#)
            #expect(again.status == .conflict)
        }
    }

    @Test("a caller-executed mutation takes its reported outcome, once, from its submitter")
    func reportedOutcome() async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.submit(
                #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"called"}}"#)
            let id = reply.json["id"].string ?? ""
            #expect(reply.json["status"].string == "approved")  // no executor: the caller executes
            let stranger = try await api.post(
                "/v1/mutations/\(id)/outcome", key: TestServer.Key.bob, json: #"{"status":"executed"}"#)
            #expect(stranger.status == .forbidden)
            let bad = try await api.post(
                "/v1/mutations/\(id)/outcome", key: TestServer.Key.agent, json: #"{"status":"done"}"#)
            #expect(bad.status == .badRequest)
            let done = try await api.post(
                "/v1/mutations/\(id)/outcome", key: TestServer.Key.agent, json: #"{"status":"executed","detail":"CRM updated"}"#)
            #expect(done.status == .ok)
            #expect(done.json["status"].string == "executed")
            let again = try await api.post(
                "/v1/mutations/\(id)/outcome", key: TestServer.Key.agent, json: #"{"status":"failed"}"#)
            #expect(again.status == .conflict)
        }
    }
}
