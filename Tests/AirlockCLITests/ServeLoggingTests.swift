import AirlockEngine
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

/// `airlock serve`'s own output: with `--log-format json` every line of standard output is a
/// JSON object (its start-up lines too), and `LOG_LEVEL=debug` adds a `decided` line per decision.
@Suite("airlock serve: log output")
struct ServeLoggingTests {
    @Test("JSON logs at LOG_LEVEL=debug: every stdout line is JSON, one `decided` line per decision, no key")
    func jsonAtDebug() async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let port = CommandRunner.freePorts()
        let file = temporary.path + "/airlock.yaml"
        try """
            listen: 127.0.0.1:\(port)
            state_dir: \(temporary.path)/state
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            principals:
              - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: "key-agent-logging")) }
              - { id: bob, kind: human, roles: [reviewer], pools: [finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads], key_sha256: \(PrincipalDirectory.hash(key: "key-bob-logging")) }
            notify:
              - { url: "http://hookuser:HOOKPASSWORD@127.0.0.1:9/hook?access_token=QUERYSECRET", secret_env: AIRLOCK_TEST_HOOK_SECRET, max_attempts: 1, max_age: 1s }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = try CommandRunner.requireAirlock()
        process.arguments = ["serve", "--config", file, "--log-format", "json"]
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "debug"
        environment["AIRLOCK_TEST_HOOK_SECRET"] = "hook-secret-not-logged"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        let api = APIClient(port: port)
        try await ExecutionCrashTests.waitUntilReady(api)
        guard process.isRunning else {
            Issue.record("airlock serve stopped: \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            return
        }
        let body = #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "Lamp"}}"#
        let reply = try await api.submit(body, key: "key-agent-logging")
        #expect(reply.status == .created, "\(reply)")
        let id = try #require(reply.json["id"].string)
        // The webhook target is down: its failure is logged (with the URL's secrets redacted),
        // as soon as its one attempt fails; the output is read once the server stops, so wait
        // for the outbox to settle (the delivery marked failed) before stopping it.
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(20) {
            let metrics = try await api.get("/metrics", key: nil).text
            if metrics.contains(#"airlock_webhook_delivery_failures_total{final="true"} 1"#) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 3, "\(text)")
        var decided = 0
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object != nil, "a line of standard output is not a JSON object: \(line)")
            if object?["message"] == "decided", object?["mutation"] == id { decided += 1 }
            #expect(!line.contains("key-agent-logging") && !line.contains("HOOKPASSWORD") && !line.contains("QUERYSECRET")
                    && !line.contains("hook-secret-not-logged"), "\(line)")
        }
        #expect(decided == 1, "\(text)")
        #expect(lines.contains { $0.contains("airlock listening on") }, "\(text)")
        #expect(lines.contains { $0.contains("webhook") && $0.contains("hookuser:[redacted]@127.0.0.1:9/hook") }, "\(text)")
    }
}
