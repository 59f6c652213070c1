import AirlockEngine
import AirlockTestSupport
import AirlockServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

/// A real Airlock server for one test: the configuration `airlock serve --config` would read,
/// built in the test, a fresh state directory, and `buildApplication` serving on a free port.
struct TestServer {
    /// The principals of the test configuration and their bearer keys.
    enum Key {
        static let agent = "key-agent-7"
        static let alice = "key-alice"
        static let bob = "key-bob"
        static let carol = "key-carol"
        static let dave = "key-dave"
        static let erin = "key-erin"
        static let frank = "key-frank"
        static let root = "key-root"
        static let auditor = "key-auditor"
    }

    /// Tuesday 2026-01-06 10:00 UTC: inside the example pack's business hours, so no off-hours score.
    static let businessHours = Date(timeIntervalSince1970: 1_767_693_600)

    /// The example pack of the package, found from this file.
    static let examplePack: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Support, AirlockServerTests, Tests, package
        return url.appendingPathComponent("examples/policies").path
    }()

    /// The configuration file of the tests: an agent, reviewers in every pool of the example pack
    /// (alice also submits), dave only in `finance`, erin only in `privacy`, frank in `finance` and
    /// `privacy` but cleared only for `public` and `internal` data, an admin and an auditor.
    /// Without rate limits unless `extra` sets them: the tests' clock stands still, so a bucket
    /// would never refill. `extra` is more top-level YAML (`limits:`, `rate_limits:`).
    static func configurationText(stateDirectory: String, extra: String = noRateLimits) -> String {
        let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
        return """
            listen: 127.0.0.1:8080
            state_dir: \(stateDirectory)
            policy: \(examplePack)
            store: { synchronous: normal }
            principals:
              - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: Key.agent)) }
              - id: alice
                kind: human
                roles: [reviewer, submitter]
                pools: \(pools)
                key_sha256: \(PrincipalDirectory.hash(key: Key.alice))
              - { id: bob, kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: Key.bob)) }
              - { id: carol, kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: Key.carol)) }
              - { id: dave, kind: human, roles: [reviewer], pools: [finance], key_sha256: \(PrincipalDirectory.hash(key: Key.dave)) }
              - { id: erin, kind: human, roles: [reviewer], pools: [privacy], key_sha256: \(PrincipalDirectory.hash(key: Key.erin)) }
              - id: frank
                kind: human
                roles: [reviewer]
                pools: [finance, privacy]
                clearances: [public, internal]
                key_sha256: \(PrincipalDirectory.hash(key: Key.frank))
              - { id: root, kind: human, roles: [admin], key_sha256: \(PrincipalDirectory.hash(key: Key.root)) }
              - { id: auditor, kind: human, roles: [auditor], key_sha256: \(PrincipalDirectory.hash(key: Key.auditor)) }
            \(extra)
            """
    }

    static let noRateLimits = "rate_limits: { agent: none, service: none, human: none }"

    /// A new, empty state directory.
    static func makeStateDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("airlock-server-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts the server on a fresh state directory, runs `body` against it, stops it, and removes
    /// the directory.
    static func with<Value: Sendable>(
        clock: ManualClock = ManualClock(businessHours), extra: String = noRateLimits,
        _ body: @Sendable (APIClient, AirlockServerParts) async throws -> Value
    ) async throws -> Value {
        let directory = try makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        return try await run(stateDirectory: directory, clock: clock, extra: extra, body)
    }

    /// Starts the server on `stateDirectory` (kept afterwards), runs `body`, and stops it
    /// gracefully.
    static func run<Value: Sendable>(
        stateDirectory: String, clock: ManualClock = ManualClock(businessHours), logger given: Logger? = nil,
        extra: String = noRateLimits, configure: (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @Sendable (APIClient, AirlockServerParts) async throws -> Value
    ) async throws -> Value {
        var configuration = try GatewayConfiguration.parse(
            configurationText(stateDirectory: stateDirectory, extra: extra), file: stateDirectory + "/airlock.yaml")
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "airlock-test")
        logger.logLevel = .warning
        if let given { logger = given }
        let (application, parts) = try await buildApplication(configuration, clock: clock, logger: logger)
        return try await application.test(.live) { client in
            guard let port = client.port else { throw TestServerError.noPort }
            return try await body(APIClient(port: port), parts)
        }
    }
}

/// The live test framework did not say which port the server listens on.
enum TestServerError: Error {
    case noPort
}
