import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The MCP gateway with the official Python MCP SDK as the client (`Tests/MCP/mcp_test.py`):
/// `airlock serve`'s `/mcp`, `airlock mcp serve` on stdio, and `airlock mcp proxy` in front of an
/// upstream written with that SDK. The server has no executors: the caller (the proxy) executes.
@Suite(.sharedResources) struct MCPGatewayTests {
    static let python = CommandRunner.packageRoot.appendingPathComponent(".venv-tests/bin/python")
    static let script = CommandRunner.packageRoot.appendingPathComponent("Tests/MCP/mcp_test.py")
    static let keys = ["agent": "mcp-key-agent", "alice": "mcp-key-alice", "bob": "mcp-key-bob", "carol": "mcp-key-carol", "root": "mcp-key-root"]

    static func configuration(stateDirectory: String) -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        func hash(_ who: String) -> String { PrincipalDirectory.hash(key: keys[who]!) }
        return """
            state_dir: \(stateDirectory)
            policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
            store: { synchronous: normal }
            principals:
              - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(hash("agent")) }
              - { id: alice, kind: human, roles: [submitter, reviewer], pools: \(pools), key_sha256: \(hash("alice")) }
              - { id: bob, kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(hash("bob")) }
              - { id: carol, kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(hash("carol")) }
              - { id: root, kind: human, roles: [admin], key_sha256: \(hash("root")) }
            """
    }

    @Test("a real MCP client proposes through /mcp and stdio, and the proxy forwards, holds and refuses as the gateway decides")
    func withTheOfficialClient() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            Issue.record("the MCP tests cannot start: no \(Self.python.path); `bash .ci/run` creates it (python3 -m venv .venv-tests && .venv-tests/bin/pip install -r Tests/requirements.txt)")
            return
        }
        let airlock = try CommandRunner.requireAirlock()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.url.appendingPathComponent("state").path
        var configuration = try GatewayConfiguration.parse(Self.configuration(stateDirectory: state), file: state + ".yaml")
        configuration.port = 0
        var logger = Logger(label: "airlock-mcp-test")
        logger.logLevel = .warning
        let (application, _) = try await buildApplication(configuration, logger: logger)
        let keys = String(decoding: try JSONSerialization.data(withJSONObject: Self.keys), as: UTF8.self)
        let outcome = try await application.test(.live) { client in
            let port = try #require(client.port)
            return try await CommandRunner.run(
                Self.python,
                [Self.script.path, "--base-url", "http://127.0.0.1:\(port)", "--airlock", airlock.path, "--work", directory.url.path],
                environment: ["AIRLOCK_TEST_KEYS": keys], timeout: 240)
        }
        print(outcome.output)  // what was checked, and how long the held calls took
        #expect(outcome.status == 0, "mcp_test.py failed:\n\(outcome.output)\n\(outcome.errorOutput)")
        #expect(outcome.output.contains("PASSED: every MCP check"), "\(outcome.output)")
    }
}
