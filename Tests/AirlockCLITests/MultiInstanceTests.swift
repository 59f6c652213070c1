import AirlockEngine
import AirlockTestSupport
import Foundation
import GRDB
import HTTPTypes
import Testing

/// Three `airlock serve` processes on one PostgreSQL database: high-tier transfers submitted
/// through one, approved through the others by racing reviewers, long polls waiting on the
/// first. Each transfer executes exactly once, no vote counts twice, every waiter wakes, and the
/// audit log is one chain that verifies.
@Suite("Several instances on one PostgreSQL", .serialized)
struct MultiInstanceTests {
    enum Key {
        static let agent = "mi-key-agent-7"
        static let alice = "mi-key-alice"
        static let bob = "mi-key-bob"
        static let carol = "mi-key-carol"
    }

    static func configuration(directory: String, port: Int, url: String, extra: String = "") -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        func reviewer(_ id: String, _ key: String) -> String {
            "  - { id: \(id), kind: human, roles: [reviewer, auditor\(id == "bob" ? ", admin" : "")], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: key)) }"
        }
        return """
            listen: 127.0.0.1:\(port)
            state_dir: \(directory)/state
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            store: { postgres: { url: "\(url)", max_connections: 8 } }
            principals:
              # A load generator, not an agent in a loop: the rate limit is not what these tests try.
              - { id: agent-7, kind: agent, roles: [submitter], rate_limit: none, key_sha256: \(PrincipalDirectory.hash(key: Key.agent)) }
            \(reviewer("alice", Key.alice))
            \(reviewer("bob", Key.bob))
            \(reviewer("carol", Key.carol))
            executors:
              payments.transfer: { kind: sql, database: \(directory)/demo.sqlite, table: transfers, fields: [amount, currency, from_account, to_account, memo] }
              catalog.product: { kind: sql, database: \(directory)/demo.sqlite, table: products, fields: [price, cost, stock, title] }
            \(extra)
            """
    }

    static let transfer = #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 25000, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#

    @Test("3 instances: racing approvals, each transfer executed once, every waiter woken, one audit chain")
    func threeInstances() async throws {
        let fresh = try await PostgresServeTests.FreshDatabase()
        defer { fresh.remove() }
        let directory = fresh.directory
        let url = fresh.url
        let base = CommandRunner.freePorts(3)
        var servers: [PostgresServeTests.Server] = []
        defer { for server in servers { server.stop() } }
        var apis: [APIClient] = []
        for index in 0..<3 {
            let config = directory + "/airlock-\(index).yaml"
            try Self.configuration(directory: directory, port: base + index, url: url).write(toFile: config, atomically: true, encoding: .utf8)
            if index == 0 {
                let migrate = try await CommandRunner.airlock(["migrate", "--config", config])
                try #require(migrate.status == 0, "\(migrate)")
            }
            servers.append(try PostgresServeTests.Server.start(config, in: directory))
            apis.append(APIClient(port: base + index))
            // One at a time: the first start records and activates the configured pack.
            try await PostgresServeTests.waitUntilReady(apis[index], server: servers[index])
        }

        // Twelve transfers that wait for two finance approvals, submitted through instance 0.
        var ids: [String] = []
        for _ in 0..<12 {
            let reply = try await apis[0].submit(Self.transfer, key: Key.agent)
            #expect(reply.json["tier"].string == "high", "\(reply)")
            ids.append(try #require(reply.json["id"].string, "\(reply)"))
        }
        let waiting = try #require(try await apis[0].get("/v1/mutations/\(ids[0])", key: Key.agent).json["status"].string)
        // The twelve open reviews count in system.queue_depth on every instance, not only the one
        // that opened them.
        for index in [1, 2] {
            let depth = try await Self.queueDepth(of: apis[index], becomes: 12)
            #expect(depth == 12, "instance \(index) sees a queue depth of \(depth), not the twelve reviews opened through instance 0")
        }
        let clients = apis
        let submitted = ids

        // A long poll on instance 0 for each, then racing votes through instances 1 and 2: alice
        // twice at once (one must be refused), bob and carol (two approvals are needed).
        let woken = Task {
            try await withThrowingTaskGroup(of: (String, String?, Double).self) { group in
                for id in submitted {
                    group.addTask {
                        let start = Date()
                        let reply = try await clients[0].get("/v1/mutations/\(id)?wait=30&status=\(waiting)", key: Key.agent)
                        return (id, reply.json["status"].string, Date().timeIntervalSince(start))
                    }
                }
                var all: [(String, String?, Double)] = []
                for try await result in group { all.append(result) }
                return all
            }
        }
        try await Task.sleep(nanoseconds: 300_000_000)  // the polls are parked
        let votes = try await withThrowingTaskGroup(of: (String, String, HTTPResponse.Status).self) { group in
            for id in submitted {
                for (reviewer, key, instance) in [("alice", Key.alice, 1), ("alice", Key.alice, 2), ("bob", Key.bob, 2), ("carol", Key.carol, 1)] {
                    group.addTask {
                        let reply = try await clients[instance].send(.post, "/v1/mutations/\(id)/approve", key: key, json: #"{"note": "ok"}"#)
                        return (id, reviewer, reply.status)
                    }
                }
            }
            var all: [(String, String, HTTPResponse.Status)] = []
            for try await vote in group { all.append(vote) }
            return all
        }
        for id in ids {
            let accepted = votes.filter { $0.0 == id && $0.2 == .ok }
            #expect(accepted.count == 2, "exactly the two approvals needed count for \(id): \(votes.filter { $0.0 == id })")
            #expect(accepted.filter { $0.1 == "alice" }.count <= 1, "alice's vote counted twice on \(id)")
            let refused = votes.filter { $0.0 == id && $0.2 != .ok }
            #expect(refused.allSatisfy { $0.2 == .conflict }, "a refused vote is a 409: \(refused)")
        }

        let polls = try await woken.value
        #expect(polls.count == ids.count)
        for (id, status, seconds) in polls {
            #expect(status != nil && status != waiting, "the long poll on \(id) was not woken by the votes on other instances: \(String(describing: status))")
            #expect(seconds < 20, "the long poll on \(id) waited \(seconds) s")
        }

        // Each transfer executes, once, through whichever instance took its last vote.
        for id in ids {
            var status: String?
            for _ in 0..<200 {
                status = try await apis[2].get("/v1/mutations/\(id)", key: Key.agent).json["status"].string
                if status == "executed" { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(status == "executed", "\(id) is \(String(describing: status))")
        }
        let queue = try DatabaseQueue(path: directory + "/demo.sqlite")
        let markers = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT mutation_id FROM airlock_applied WHERE resource = 'payments.transfer'")
        }
        #expect(markers.count == Set(markers).count, "a transfer was applied twice: \(markers)")
        #expect(Set(markers) == Set(ids), "applied: \(markers.sorted()), submitted: \(ids.sorted())")
        // Their reviews closed through instances 1 and 2: instance 0 counts none open.
        let depth = try await Self.queueDepth(of: apis[0], becomes: 0)
        #expect(depth == 0, "instance 0 still sees \(depth) open reviews after the others closed them")

        // Signals reflect every instance's traffic: agent-7's twelve submissions went through
        // instance 0; once both instances have merged their history into the store (every 2 s),
        // a submission through instance 1 counts them in its rate.
        try await Task.sleep(nanoseconds: 5_000_000_000)
        let probe = try await apis[1].submit(
            #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 50, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#,
            key: Key.agent)
        let probeID = try #require(probe.json["id"].string, "\(probe)")
        let audit = try await apis[1].get("/v1/audit?limit=1000", key: Key.bob)
        let decided = try #require(
            audit.json["items"].array.first { $0["kind"].string == "decided" && $0["mutation_id"].string == probeID }, "\(audit)")
        let payload = JSON(text: decided["payload"].string ?? "")
        let rate = payload["signals"]["actor_rate_1m"].int ?? -1
        #expect(rate >= 12, "instance 1 sees \(rate) submissions by agent-7 in the last minute, not the twelve made through instance 0")

        // A freeze set through instance 1 is in force on the others within a second.
        let frozen = try await apis[1].send(.post, "/v1/system/freeze", key: Key.bob, json: #"{"on": true, "reason": "incident"}"#)
        #expect(frozen.status == .ok, "\(frozen)")
        let setAt = Date()
        for index in [0, 2] {
            var on = false
            while !on, Date().timeIntervalSince(setAt) < 1 {
                on = try await apis[index].get("/v1/system", key: Key.bob).json["freeze"]["on"].bool == true
                if !on { try await Task.sleep(nanoseconds: 20_000_000) }
            }
            #expect(on, "instance \(index) does not see the freeze a second after it was set")
        }

        for api in apis {
            let verify = try await api.get("/v1/audit/verify", key: Key.bob)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    /// `system.queue_depth` as an instance reports it, once it is `expected` or after 5 s.
    static func queueDepth(of api: APIClient, becomes expected: Int) async throws -> Int? {
        let started = Date()
        while true {
            let depth = try await api.get("/v1/system", key: Key.bob).json["queue_depth"].int
            if depth == expected || Date().timeIntervalSince(started) > 5 { return depth }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    @Test("an instance killed mid-load: another finishes what it left executing, each change applied once")
    func killedInstance() async throws {
        let fresh = try await PostgresServeTests.FreshDatabase()
        defer { fresh.remove() }
        let directory = fresh.directory
        let url = fresh.url
        let base = CommandRunner.freePorts(3)
        // Rounds every second, taking up what stood still for 3 s: a killed instance's work is
        // finished within seconds, not the default 5 minutes.
        let extra = "reconciliation: { interval: 1s, stale_after: 3s }"
        try ToldExecuted.addLoadProducts(to: directory + "/demo.sqlite")
        var configs: [String] = []
        for index in 0..<2 {
            let config = directory + "/airlock-\(index).yaml"
            try Self.configuration(directory: directory, port: base + index, url: url, extra: extra)
                .write(toFile: config, atomically: true, encoding: .utf8)
            configs.append(config)
        }
        let migrate = try await CommandRunner.airlock(["migrate", "--config", configs[0]])
        try #require(migrate.status == 0, "\(migrate)")
        let victim = try PostgresServeTests.Server.start(configs[0], in: directory)
        defer { victim.stop() }
        let doomed = APIClient(port: base)
        try await PostgresServeTests.waitUntilReady(doomed, server: victim)
        let survivor = try PostgresServeTests.Server.start(configs[1], in: directory)
        defer { survivor.stop() }
        let api = APIClient(port: base + 1)
        try await PostgresServeTests.waitUntilReady(api, server: survivor)

        // Eight clients submit low-tier stock changes through the first instance, which executes
        // each in the request; it is killed among them.
        let told = ToldExecuted()
        let load = Task { await told.stockLoad(through: doomed, key: Key.agent, each: 300, seed: 0) }
        let started = ContinuousClock.now
        while await told.ids.count < 40, ContinuousClock.now - started < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(victim.process.processIdentifier, SIGKILL)
        victim.process.waitUntilExit()
        await load.value

        // The survivor's rounds finish what the victim left executing.
        // (Three runs left 2, 4 and 3 mutations executing here.)
        var left = ""
        for _ in 0..<150 {
            let executing = try await api.get("/v1/mutations?status=executing&limit=500", key: Key.bob)
            let approved = try await api.get("/v1/mutations?status=approved&limit=500", key: Key.bob)
            if executing.json["items"].array.isEmpty, approved.json["items"].array.isEmpty {
                left = ""
                break
            }
            left = "executing: \(executing.text.prefix(300)); approved: \(approved.text.prefix(300))"
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left.isEmpty, "still unfinished 15 s after the kill: \(left)")

        let executed = try await api.mutationIDs(status: "executed", key: Key.bob)
        let queue = try DatabaseQueue(path: directory + "/demo.sqlite")
        let markers = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT mutation_id FROM airlock_applied WHERE resource = 'catalog.product'")
        }
        #expect(markers.count == Set(markers).count, "a change was applied twice")
        // When they differ, say what became of each: its status, or that the store has none.
        var mismatched: [String] = []
        for id in Set(markers).symmetricDifference(executed).sorted() {
            let reply = try await api.get("/v1/mutations/\(id)", key: Key.bob)
            mismatched.append("\(id): \(reply.status.code) \(reply.json["status"].string ?? reply.text.prefix(200).description)")
        }
        #expect(
            Set(markers) == executed,
            "markers without an executed mutation, or executed without a marker: \(mismatched.joined(separator: "; "))")
        #expect(await told.ids.isSubset(of: executed), "an execution a client was told about was lost")
        let seen = await told.summary
        #expect(executed.count >= 40, "too few executions to mean anything (\(executed.count)); \(seen)")
        let verify = try await api.get("/v1/audit/verify", key: Key.bob)
        #expect(verify.json["intact"].bool == true, "\(verify)")
    }
}
