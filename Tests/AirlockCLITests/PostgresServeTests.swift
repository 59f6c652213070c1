import AirlockEngine
import AirlockStore
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

/// `airlock serve` on PostgreSQL: refused until `airlock migrate` has brought the database's
/// schema up, then every tier from submit to its end, an approval, the audit chain verified, and a
/// restart that finds it all again.
@Suite("Serving on PostgreSQL", .serialized)
struct PostgresServeTests {
    enum Key {
        static let agent = "pg-key-agent-7"
        static let bob = "pg-key-bob"
    }

    static func configuration(directory: String, port: Int, url: String) -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        return """
            listen: 127.0.0.1:\(port)
            state_dir: \(directory)/state
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            store: { postgres: { url: "\(url)", max_connections: 8 } }
            principals:
              - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: Key.agent)) }
              - { id: bob, kind: human, roles: [reviewer, admin, auditor], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: Key.bob)) }
            executors:
              catalog.product: { kind: sql, database: \(directory)/demo.sqlite, table: products, fields: [price, cost, stock, title] }
            """
    }

    /// A started `airlock serve`, its standard error kept in a file.
    struct Server {
        var process: Process
        var stderrPath: String

        static func start(_ config: String, in directory: String) throws -> Server {
            let process = Process()
            process.executableURL = try CommandRunner.requireAirlock()
            process.arguments = ["serve", "--config", config]
            let stderrPath = directory + "/serve-\(UUID().uuidString).err"
            FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            try process.run()
            return Server(process: process, stderrPath: stderrPath)
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    /// A fresh database in the test cluster, a temporary folder for state, and the demo database
    /// the executors write to: what every test of a real server on PostgreSQL starts from.
    struct FreshDatabase {
        let cluster: PostgresCluster
        let database: String
        let temporary: TemporaryDirectory

        init() async throws {
            cluster = try await PostgresCluster.shared()
            database = try await cluster.createDatabase()
            temporary = try TemporaryDirectory()
            try DemoDatabase.create(at: temporary.path + "/demo.sqlite")
        }

        var url: String { cluster.url(database: database) }
        var directory: String { temporary.path }

        func remove() {
            cluster.discardDatabase(database)
            temporary.remove()
        }
    }

    static func waitUntilReady(_ api: APIClient, server: Server) async throws {
        for _ in 0..<400 {
            if let reply = try? await api.get("/readyz", key: nil), reply.status == .ok { return }
            if !server.process.isRunning { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        Issue.record("the server did not become ready: \(server.stderr)")
        throw CancellationError()
    }

    @Test("refused before airlock migrate; then submit, approve, verify and restart on PostgreSQL")
    func servesOnPostgres() async throws {
        let fresh = try await FreshDatabase()
        defer { fresh.remove() }
        let directory = fresh.directory
        let port = CommandRunner.freePorts()
        let config = directory + "/airlock.yaml"
        try Self.configuration(directory: directory, port: port, url: fresh.url)
            .write(toFile: config, atomically: true, encoding: .utf8)

        // An empty database: serve refuses it and names the command that prepares it.
        let refused = try Server.start(config, in: directory)
        refused.process.waitUntilExit()
        #expect(refused.process.terminationStatus != 0)
        #expect(refused.stderr.contains("schema version 0") && refused.stderr.contains("airlock migrate"), "\(refused.stderr)")

        let migrate = try await CommandRunner.airlock(["migrate", "--config", config])
        #expect(migrate.status == 0, "\(migrate)")
        #expect(migrate.output.contains("schema version 0 → \(PostgresStore.schemaVersion)"), "\(migrate)")
        let again = try await CommandRunner.airlock(["migrate", "--config", config])
        #expect(again.output.contains("schema version \(PostgresStore.schemaVersion), nothing to do"), "\(again)")

        let api = APIClient(port: port)
        var server = try Server.start(config, in: directory)
        defer { server.stop() }
        try await Self.waitUntilReady(api, server: server)

        // Low: executes at once through the executor.
        let low = try await api.submit(
            #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "Lamp"}}"#, key: Key.agent)
        #expect(low.json["tier"].string == "low", "\(low)")
        let lowID = try #require(low.json["id"].string, "\(low)")
        // High: waits for support-leads, and bob approves.
        let high = try await api.submit(#"{"resource": "crm.customer", "operation": "delete", "target": "cus-42"}"#, key: Key.agent)
        #expect(high.json["tier"].string == "high", "\(high)")
        let highID = try #require(high.json["id"].string, "\(high)")
        let approved = try await api.send(.post, "/v1/mutations/\(highID)/approve", key: Key.bob, json: #"{"note": "checked"}"#)
        #expect(approved.status == .ok, "\(approved)")
        #expect(approved.json["status"].string == "approved", "\(approved)")

        let verify = try await api.get("/v1/audit/verify", key: Key.bob)
        #expect(verify.json["intact"].bool == true, "\(verify)")
        let records = verify.json["records"].int ?? 0
        #expect(records >= 6, "\(verify)")

        // Restarted, the server reads it all back from PostgreSQL.
        server.stop()
        server = try Server.start(config, in: directory)
        try await Self.waitUntilReady(api, server: server)
        let lowAfter = try await api.get("/v1/mutations/\(lowID)", key: Key.agent)
        #expect(lowAfter.json["status"].string == "executed", "\(lowAfter)")
        let highAfter = try await api.get("/v1/mutations/\(highID)", key: Key.agent)
        #expect(highAfter.json["status"].string == "approved", "\(highAfter)")
        let verifyAfter = try await api.get("/v1/audit/verify", key: Key.bob)
        #expect(verifyAfter.json["intact"].bool == true, "\(verifyAfter)")

        // The offline commands read the same database through the configuration.
        let verifyOffline = try await CommandRunner.airlock(["audit", "verify", "--config", config])
        #expect(verifyOffline.status == 0, "\(verifyOffline)")
        #expect(verifyOffline.output.hasPrefix("audit log OK: "), "\(verifyOffline)")
        let kpi = try await CommandRunner.airlock(["kpi", "--config", config])
        #expect(kpi.status == 0, "\(kpi)")
        #expect(kpi.output.contains("2 decisions"), "\(kpi)")

        // A checkpoint signed now covers every record, the newest included; the export holds them
        // all, with it, and the documented script re-verifies the export on its own.
        let third = try await api.submit(
            #"{"resource": "catalog.product", "operation": "update", "target": "sku-2", "changes": {"title": "Desk"}}"#, key: Key.agent)
        #expect(third.json["tier"].string == "low", "\(third)")
        let checkpoint = try await CommandRunner.airlock(["audit", "checkpoint", "--config", config])
        #expect(checkpoint.status == 0, "\(checkpoint)")
        let head = try await api.get("/v1/audit/verify", key: Key.bob).json["records"].int ?? 0
        #expect(checkpoint.output.hasPrefix("signed checkpoint: tree size \(head), root "), "\(checkpoint)")
        let export = directory + "/audit.jsonl"
        let exported = try await CommandRunner.airlock(["audit", "export", "--config", config, "-o", export])
        #expect(exported.status == 0, "\(exported)")
        let lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains(#""type":"record""#) }.count == head)
        #expect(lines.last?.contains(#""tree_size":\#(head)"#) == true && lines.last?.contains(#""type":"checkpoint""#) == true)
        let key = try await CommandRunner.airlock(["audit", "key", "--config", config]).output.trimmingCharacters(in: .newlines)
        let script = CommandRunner.packageRoot.appendingPathComponent("scripts/verify_audit.py").path
        let python = try await CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, export, "--public-key", key])
        #expect(python.status == 0 && python.output.hasPrefix("OK: \(head) records"), "\(python.output)\(python.errorOutput)")

        // The stored active version against the pack it came from: the same.
        let pack = CommandRunner.packageRoot.appendingPathComponent("examples/policies").path
        let diff = try await CommandRunner.airlock(["policy", "diff", "active", pack, "--config", config])
        #expect(diff.status == 0, "\(diff)")
    }
}
