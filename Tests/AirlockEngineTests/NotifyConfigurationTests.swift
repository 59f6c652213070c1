import AirlockCore
import AirlockEngine
import Foundation
import Testing

/// `notify:` in the gateway configuration, and a principal's own target: what is read, and an
/// error that names the field for what is wrong.
@Suite("Notify configuration")
struct NotifyConfigurationTests {
    static let environment = ["HOOK_SECRET": "s3cret", "AGENT_HOOK_SECRET": "agent-s3cret"]

    private func parse(_ text: String) throws(ConfigurationError) -> GatewayConfiguration {
        try GatewayConfiguration.parse(text, file: "airlock.yaml", environment: Self.environment)
    }

    private func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test("targets with their events, secret and delivery limits; a principal's own target")
    func reads() throws {
        let config = try parse(
            """
            notify:
              - { url: "https://chat.example.com/hooks/airlock", secret_env: HOOK_SECRET }
              - url: http://127.0.0.1:9000/reviews
                secret_env: HOOK_SECRET
                events: [review_opened, escalated]
                max_attempts: 3
                max_age: 2h
                timeout: 500ms
                concurrency: 2
            principals:
              - id: agent-7
                roles: [submitter]
                notify: { url: "http://127.0.0.1:9001/agent", secret_env: AGENT_HOOK_SECRET, events: [decided] }
            """)
        #expect(config.notify.count == 2)
        let chat = config.notify[0]
        #expect(chat.url == "https://chat.example.com/hooks/airlock" && chat.events == nil && chat.secret == Array("s3cret".utf8))
        #expect(chat.maxAttempts == 12 && chat.maxAge == 86_400 && chat.timeout == 10 && chat.concurrency == 4)
        #expect(chat.accepts(.freezeChanged))
        let reviews = config.notify[1]
        #expect(reviews.events == [.reviewOpened, .escalated] && !reviews.accepts(.decided))
        #expect(reviews.maxAttempts == 3 && reviews.maxAge == 7200 && reviews.timeout == 0.5 && reviews.concurrency == 2)
        let agent = try #require(config.principals.principal(id: "agent-7")?.notify)
        #expect(agent.url == "http://127.0.0.1:9001/agent" && agent.secret == Array("agent-s3cret".utf8) && agent.events == [.decided])
        let all = Notifications(targets: config.notify, principals: config.principals).allTargets
        #expect(Set(all.keys) == [chat.url, reviews.url, agent.url])
    }

    @Test("each mistake is refused with the field and what is wrong", arguments: [
        ("notify: { url: http://x }", "notify must be a list of webhook targets"),
        ("notify: [{ secret_env: HOOK_SECRET }]", "notify[0] needs a url"),
        ("notify: [{ url: ftp://x/y, secret_env: HOOK_SECRET }]", "notify[0].url must be an http or https URL (got 'ftp://x/y')"),
        ("notify: [{ url: http://x/y }]", "notify[0] needs secret_env"),
        ("notify: [{ url: http://x/y, secret_env: NOT_SET }]", "environment variable NOT_SET (secret_env of notify[0]) is not set"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, events: [decided, approved] }]",
         "notify[0].events: unknown event kind 'approved' (kinds: review_opened, review_due_soon, escalated, decided"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, events: [] }]", "notify[0].events is empty"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, retries: 3 }]", "unknown key 'retries' in notify[0]"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, max_attempts: 0 }]", "notify[0].max_attempts must be a whole number from 1 to 100"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, timeout: 1h }]", "notify[0].timeout must be a positive duration up to 5m"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET, max_age: soon }]", "notify[0].max_age must be a positive duration up to 30d"),
        ("notify: [{ url: http://x/y, secret_env: HOOK_SECRET }, { url: http://x/y, secret_env: HOOK_SECRET }]",
         "notify[1]: the target http://x/y is listed twice"),
        ("principals: [{ id: a, notify: { url: http://x/y } }]", "the notify target of 'a' needs secret_env"),
    ])
    func refuses(_ text: String, _ expected: String) {
        let message = error(text)
        #expect(message.contains(expected), "\(message)")
        #expect(message.hasPrefix("airlock.yaml:"), "the error names the file and line: \(message)")
    }
}
