import AirlockEngine
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

/// `airlock serve --config FILE` reads the file again on SIGHUP: a principal removed from it is
/// refused from the next request on, without a restart; a file that does not load changes nothing.
@Suite("Configuration reload on SIGHUP")
struct ReloadTests {
    static func configuration(directory: String, port: Int, withDave: Bool, agentRate: String = "none") -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        var text = """
            listen: 127.0.0.1:\(port)
            state_dir: \(directory)/state
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            rate_limits: { agent: \(agentRate) }
            principals:
              - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: "key-agent")) }
              - { id: bob, kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: "key-bob")) }

            """
        if withDave {
            text += "  - { id: dave, kind: human, roles: [reviewer], pools: [finance], key_sha256: \(PrincipalDirectory.hash(key: "key-dave")) }\n"
        }
        return text
    }

    @Test("a key removed from the file is refused after SIGHUP; a broken file leaves the running configuration")
    func revokedOnHangup() async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let port = CommandRunner.freePorts()
        let file = temporary.path + "/airlock.yaml"
        try Self.configuration(directory: temporary.path, port: port, withDave: true)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = try CommandRunner.requireAirlock()
        process.arguments = ["serve", "--config", file]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let api = APIClient(port: port)
        try await ExecutionCrashTests.waitUntilReady(api)
        #expect(try await api.get("/v1/reviews", key: "key-dave").status == .ok)

        // Dave leaves, and the agent gets a rate limit of one request a minute.
        try Self.configuration(directory: temporary.path, port: port, withDave: false, agentRate: "{ rate: 1/m, burst: 1 }")
            .write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let sent = ContinuousClock.now
        var status = try await api.get("/v1/reviews", key: "key-dave").status
        while status == .ok, ContinuousClock.now - sent < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
            status = try await api.get("/v1/reviews", key: "key-dave").status
        }
        #expect(status == .unauthorized, "dave's key still works 10 s after SIGHUP")
        #expect(try await api.get("/v1/reviews", key: "key-bob").status == .ok)
        #expect(try await api.get("/v1/mutations", key: "key-agent").status == .ok)
        #expect(try await api.get("/v1/mutations", key: "key-agent").status == .tooManyRequests)

        // A file that does not parse: the server goes on with what it had, and says so.
        try "principals: [".write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await api.get("/v1/reviews", key: "key-bob").status == .ok)
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("configuration reloaded"), "\(output.suffix(2000))")
        #expect(output.contains("configuration not reloaded"), "\(output.suffix(2000))")
    }
}
