import AirlockTestSupport
import AirlockEngine
import Foundation
import GRDB
import HTTPTypes
import Testing

/// Kills a real `airlock serve` with SIGKILL while mutations execute, restarts it (which
/// reconciles), and checks exactly-once: every mutation Airlock records as executed has exactly
/// one applied-marker in the target database, every marker belongs to an executed mutation,
/// nothing stays `executing`, and every execution a client was told about survives.
@Suite("Execution across crashes", .serialized)
struct ExecutionCrashTests {
    /// The bearer keys of the configuration's principals.
    enum Key {
        static let agent = "key-agent-7"
        static let bob = "key-bob"
    }

    static func configuration(directory: String, port: Int) -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        return """
            listen: 127.0.0.1:\(port)
            state_dir: \(directory)/state
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            store: { synchronous: full }
            principals:
              - { id: svc-inventory, kind: service, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: Key.agent)) }
              - { id: bob, kind: human, roles: [reviewer, admin], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: Key.bob)) }
            executors:
              catalog.product: { kind: sql, database: \(directory)/demo.sqlite, table: products, fields: [price, cost, stock, title] }
            """
    }

    static func start(_ config: String) throws -> Process {
        let process = Process()
        process.executableURL = try CommandRunner.requireAirlock()
        process.arguments = ["serve", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitUntilReady(_ api: APIClient) async throws {
        for _ in 0..<300 {
            if let reply = try? await api.get("/readyz", key: nil), reply.status == .ok { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        Issue.record("the server did not become ready")
    }

    @Test("SIGKILL while executing, 6 rounds: never applied twice, never lost")
    func killWhileExecuting() async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        try DemoDatabase.create(at: directory + "/demo.sqlite")
        try ToldExecuted.addLoadProducts(to: directory + "/demo.sqlite")
        let port = CommandRunner.freePorts()
        let config = directory + "/airlock.yaml"
        try Self.configuration(directory: directory, port: port).write(toFile: config, atomically: true, encoding: .utf8)
        let api = APIClient(port: port)
        let told = ToldExecuted()

        for round in 0..<6 {
            let server = try Self.start(config)
            try await Self.waitUntilReady(api)
            let load = Task { await told.stockLoad(through: api, key: Key.agent, each: 200, seed: round * 1000) }
            try await Task.sleep(nanoseconds: UInt64.random(in: 300...900) * 1_000_000)
            // On a loaded machine the server may not have got far yet: let each round execute
            // at least ten (for up to 20 s more) so that the kills land among executions.
            let started = ContinuousClock.now
            while await told.ids.count < (round + 1) * 10, ContinuousClock.now - started < .seconds(20) {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            await load.value
        }

        // The last start reconciles whatever the last kill left executing.
        let server = try Self.start(config)
        try await Self.waitUntilReady(api)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let executing = try await api.get("/v1/mutations?status=executing&limit=500", key: Key.bob)
        #expect(executing.json["items"].array.isEmpty, "still executing after reconciliation: \(executing.text.prefix(300))")
        // Nor approved: an approved mutation of a resource with an executor moves on to executing
        // in the commit that approves it, so no kill can leave it with nobody to execute it.
        let approved = try await api.get("/v1/mutations?status=approved&limit=500", key: Key.bob)
        #expect(approved.json["items"].array.isEmpty, "left approved, never executed: \(approved.text.prefix(300))")

        let executed = try await api.mutationIDs(status: "executed", key: Key.bob)

        let queue = try DatabaseQueue(path: directory + "/demo.sqlite")
        let markers = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT mutation_id FROM airlock_applied WHERE resource = 'catalog.product'")
        }
        #expect(markers.count == Set(markers).count, "a mutation was applied twice")
        #expect(Set(markers) == executed, "markers without an executed mutation, or executed without a marker")
        let toldIDs = await told.ids
        #expect(toldIDs.isSubset(of: executed), "an execution a client was told about was lost")
        let seen = await told.summary
        #expect(executed.count > 50, "too few executions to mean anything (\(executed.count)); \(seen)")
    }
}

/// The mutations clients were answered `executed` for, and what else they were answered.
actor ToldExecuted {
    private(set) var ids: Set<String> = []
    /// Answers other than `executed`, by status (`201 executing`, `503`, …).
    private(set) var others: [String: Int] = [:]
    /// Why each client stopped: the first refused or failed request, or that it sent all.
    private(set) var stops: [String] = []
    func add(_ id: String) { ids.insert(id) }
    func other(_ what: String) { others[what, default: 0] += 1 }
    func stopped(_ why: String) { stops.append(why) }

    /// What the clients saw, for a failure message.
    var summary: String {
        "told executed: \(ids.count); other answers: \(others.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")); clients stopped: \(stops.joined(separator: " | "))"
    }

    /// Adds the products `load-0` … `load-7` that `stockLoad`'s clients change, one each, to the
    /// demo database at `path`.
    static func addLoadProducts(to path: String) throws {
        try DatabaseQueue(path: path).write { db in
            for client in 0..<8 {
                try db.execute(
                    sql: "INSERT INTO products (id, title, price, cost, stock) VALUES (?, ?, 10, 5, 50)",
                    arguments: ["load-\(client)", "Load product \(client)"])
            }
        }
    }

    /// Eight clients each submitting `each` low-tier stock updates of their own product
    /// (`load-N`, see `addLoadProducts`; values varied by `seed`), noting what they are told
    /// executed; a client stops at its first refused or failed request (the server was killed).
    /// Each client changes only its own row, so no execution fails on a precondition that
    /// another client's change broke: on a starved machine those were most of the answers.
    nonisolated func stockLoad(through api: APIClient, key: String, each: Int, seed: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    for n in 0..<each {
                        let sku = "load-\(client)"
                        let body = #"{"resource":"catalog.product","operation":"update","target":"\#(sku)","changes":{"stock":\#(1 + (seed + client * each + n) % 90)}}"#
                        let reply: Reply
                        do { reply = try await api.submit(body, key: key) } catch {
                            await self.stopped("client \(client) after \(n): \(error)")
                            return
                        }
                        guard reply.status == .created, let id = reply.json["id"].string else {
                            await self.stopped("client \(client) after \(n): \(reply.description.prefix(300))")
                            return
                        }
                        let status = reply.json["status"].string ?? "?"
                        if status == "executed" { await self.add(id) } else { await self.other("201 \(status)") }
                    }
                    await self.stopped("client \(client) sent all \(each)")
                }
            }
        }
    }
}
