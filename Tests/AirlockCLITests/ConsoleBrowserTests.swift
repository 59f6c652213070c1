import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The reviewer console in a real browser: `Tests/Browser/console_test.py` drives headless
/// Chromium with Selenium against the server `airlock serve` builds on its embedded defaults
/// (the example pack, the demo principals and the demo database). `.ci/run` installs Chromium,
/// its driver and the Python packages (`.venv-tests`); without them this test fails and says
/// what to run.
@Suite(.sharedResources) struct ConsoleBrowserTests {
    static let python = CommandRunner.packageRoot.appendingPathComponent(".venv-tests/bin/python")
    static let script = CommandRunner.packageRoot.appendingPathComponent("Tests/Browser/console_test.py")
    /// Where the screenshots of every page go.
    static let output = CommandRunner.packageRoot.appendingPathComponent(".build/browser-test-output")

    @Test("a reviewer signs in, reads, approves and rejects in Chromium; the pages are safe, accessible and fit a phone")
    func inTheBrowser() async throws {
        var missing: [String] = []
        if !FileManager.default.isExecutableFile(atPath: Self.python.path) {
            missing.append("\(Self.python.path) (python3 -m venv .venv-tests && .venv-tests/bin/pip install -r Tests/requirements.txt)")
        }
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: program) {
            missing.append("\(program) (apt-get install -y chromium chromium-driver)")
        }
        guard missing.isEmpty else {
            Issue.record("the browser tests cannot start; `bash .ci/run` sets them up. Missing: \(missing.joined(separator: "; "))")
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.url.appendingPathComponent("state").path
        var configuration = try GatewayConfiguration.embeddedDefaults(
            stateDirectory: state, policy: CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
        configuration.port = 0
        var logger = Logger(label: "airlock-browser-test")
        logger.logLevel = .warning
        let (application, _) = try await buildApplication(configuration, logger: logger)
        try FileManager.default.createDirectory(at: Self.output, withIntermediateDirectories: true)
        let outcome = try await application.test(.live) { client in
            let port = try #require(client.port)
            var arguments = [
                Self.script.path, "--base-url", "http://127.0.0.1:\(port)", "--credentials", state + "/demo-credentials",
                "--out", Self.output.path,
            ]
            // `AIRLOCK_UPDATE_SCREENSHOTS=1 swift test --filter ConsoleBrowserTests` refreshes docs/console/.
            if ProcessInfo.processInfo.environment["AIRLOCK_UPDATE_SCREENSHOTS"] == "1" {
                arguments += ["--docs", CommandRunner.packageRoot.appendingPathComponent("docs/console").path]
            }
            return try await CommandRunner.run(Self.python, arguments, timeout: 240)
        }
        print(outcome.output)  // what was checked, and how long the live updates took
        print("browser test output (screenshots) in \(Self.output.path)")
        #expect(outcome.status == 0, "console_test.py failed:\n\(outcome.output)\n\(outcome.errorOutput)")
        #expect(outcome.output.contains("PASSED: every console check in the browser"), "\(outcome.output)")
    }
}
