import AirlockCore
import AirlockEngine
import ArgumentParser
import Foundation

/// `airlock notify test`: sends one sample event, signed as the gateway signs, to every webhook
/// target of a configuration (`notify:` and the principals' own), and reports what each answered.
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a sample event to every webhook target and report what each answered.",
        discussion: """
            The event is sent directly, not through the outbox, and marked "test": true. The \
            command exits 1 when a target did not answer 2xx, and 78 when the configuration has \
            an error.
            """
    )

    @Option(help: "Configuration file (the one `airlock serve --config` reads).")
    var config: String

    @Option(help: "The kind of the sample event (\(NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))).")
    var kind = NotificationKind.decided.rawValue

    func run() async throws {
        guard let kind = NotificationKind(rawValue: kind) else {
            throw ValidationError("unknown event kind '\(kind)' (kinds: \(NotificationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(file: config)
        } catch {
            Output.error("airlock: configuration error: \(error)")
            throw ExitCode(78)
        }
        let targets = Notifications(targets: configuration.notify, principals: configuration.principals).allTargets.values
            .sorted { $0.url < $1.url }
        guard !targets.isEmpty else {
            Output.line("no webhook targets in \(config) (add notify: [{url, secret_env, events}])")
            return
        }
        let sender = WebhookSender()
        let clock = SystemClock()
        var failures = 0
        for target in targets {
            let now = clock.now()
            let event = NotificationEvent.sample(kind, id: "evt_test_\(UInt64(now.timeIntervalSince1970 * 1000))", at: now)
            let answer = await sender.send(
                eventID: event.id, kind: kind.rawValue, body: Array(event.body.utf8),
                timestamp: String(Int64(now.timeIntervalSince1970)), to: target)
            if !answer.delivered { failures += 1 }
            Output.line("\(answer.delivered ? "ok  " : "FAIL") \(target.redactedURL): \(answer)")
        }
        if failures > 0 {
            Output.error("\(failures) of \(targets.count) target(s) did not answer 2xx")
            throw ExitCode(1)
        }
    }
}
