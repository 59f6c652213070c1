import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Testing

/// `airlock notify test`: a sample event to every target, and what each answered.
@Suite("airlock notify test")
struct NotifyCommandTests {
    actor HeaderLog {
        var all: [HTTPFields] = []
        func add(_ headers: HTTPFields) { all.append(headers) }
    }

    /// A receiver on loopback that answers 200 and keeps the headers of what it got.
    private static func withReceiver(_ body: (Int, HeaderLog) async throws -> Void) async throws {
        let received = HeaderLog()
        let router = Router()
        router.post("/hooks") { request, _ in
            _ = try await request.body.collect(upTo: 1 << 20)
            await received.add(request.headers)
            return Response(status: .ok)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "notify-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { task.cancel() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        try await body(port, received)
        task.cancel()
        _ = await task.result
    }

    @Test("reports each target's answer; exits 1 when one did not answer 2xx")
    func reports() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.withReceiver { port, received in
            let config = directory.url.appendingPathComponent("airlock.yaml")
            try """
                policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
                notify:
                  - { url: "http://127.0.0.1:\(port)/hooks", secret_env: AIRLOCK_NOTIFY_TEST_SECRET }
                  - { url: "http://127.0.0.1:1/down", secret_env: AIRLOCK_NOTIFY_TEST_SECRET }
                """.write(to: config, atomically: true, encoding: .utf8)
            let outcome = try await CommandRunner.run(
                airlock, ["notify", "test", "--config", config.path, "--kind", "escalated"],
                environment: ["AIRLOCK_NOTIFY_TEST_SECRET": "cli-secret"])
            #expect(outcome.status == 1, "\(outcome.output)\(outcome.errorOutput)")
            #expect(outcome.output.contains("ok   http://127.0.0.1:\(port)/hooks: answered 200"), "\(outcome.output)")
            #expect(outcome.output.contains("FAIL http://127.0.0.1:1/down: cannot connect"), "\(outcome.output)")
            #expect(outcome.errorOutput.contains("1 of 2 target(s) did not answer 2xx"))
            let headers = await received.all
            try #require(headers.count == 1)
            #expect(headers[0][HTTPField.Name("X-Airlock-Event")!] == "escalated")
            #expect(headers[0][HTTPField.Name("X-Airlock-Signature")!]?.hasPrefix("sha256=") == true)
            #expect(headers[0][HTTPField.Name("X-Airlock-Event-Id")!]?.hasPrefix("evt_test_") == true)
        }
    }

    @Test("a configuration error names the field and exits 78")
    func badConfiguration() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.url.appendingPathComponent("airlock.yaml")
        try "notify: [{ url: http://127.0.0.1:1/x, secret_env: AIRLOCK_NOTIFY_UNSET_SECRET }]\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let outcome = try await CommandRunner.run(airlock, ["notify", "test", "--config", config.path])
        #expect(outcome.status == 78)
        #expect(outcome.errorOutput.contains("environment variable AIRLOCK_NOTIFY_UNSET_SECRET (secret_env of notify[0]) is not set"))
    }
}
