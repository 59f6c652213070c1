import AirlockCore
import AirlockEngine
import Testing

/// `drift:`, `oversight:`, `reconciliation:` and `store.postgres` in the gateway configuration: what is read, and an error that names
/// the field for what is wrong.
@Suite("Alarm configuration")
struct AlarmConfigurationTests {
    private func error(_ text: String) -> String {
        do {
            _ = try GatewayConfiguration.parse(text, file: "airlock.yaml", environment: [:])
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func readsEveryKey() throws {
        let config = try GatewayConfiguration.parse(
            """
            drift: { window: 2h, reference: 7d, threshold: 0.3, min_count: 80, latency_ratio: 3, min_votes: 5 }
            oversight: { min_review_seconds: 20, approval_rate: 0.9, min_votes: 30, burst: 4, overdue_growth: 2, window: 12h }
            """, file: "airlock.yaml", environment: [:])
        #expect(config.drift.window == 7_200 && config.drift.reference == 604_800)
        #expect(config.drift.threshold == 0.3 && config.drift.minimumCount == 80)
        #expect(config.drift.latencyRatio == 3 && config.drift.minimumVotes == 5)
        #expect(config.oversight.minimumReviewSeconds == 20 && config.oversight.approvalRate == 0.9)
        #expect(config.oversight.minimumVotes == 30 && config.oversight.burst == 4 && config.oversight.overdueGrowth == 2)
        #expect(config.oversight.window == 43_200)
        let reconciliation = try GatewayConfiguration.parse(
            "reconciliation: { interval: 2s, stale_after: 1m }", file: "airlock.yaml", environment: [:])
        #expect(reconciliation.reconcileInterval == 2 && reconciliation.reconcileStaleAfter == 60)
        let postgres = try GatewayConfiguration.parse(
            "store: { postgres: { url: \"postgres://a:secret@db:5432/airlock\", max_connections: 7 } }", file: "airlock.yaml",
            environment: [:])
        #expect(postgres.postgres?.url == "postgres://a:secret@db:5432/airlock" && postgres.postgres?.maximumConnections == 7)
        #expect(postgres.postgres?.redactedURL.contains("secret") == false)
        let fromEnvironment = try GatewayConfiguration.parse(
            "{}", file: "airlock.yaml", environment: ["AIRLOCK_DATABASE_URL": "postgres://b@db/other"])
        #expect(fromEnvironment.postgres?.url == "postgres://b@db/other")
        let defaults = try GatewayConfiguration.parse("{}", file: "airlock.yaml", environment: [:])
        #expect(defaults.drift == DriftSettings() && defaults.oversight == Oversight.Settings())
        #expect(defaults.postgres == nil && defaults.reconcileInterval == 30 && defaults.reconcileStaleAfter == 300)
    }

    @Test(arguments: [
        ("drift: { window: 90m }", "drift.window must be whole hours"),
        ("drift: { threshold: -1 }", "drift.threshold must be a positive stability index"),
        ("drift: { min_count: none }", "drift.min_count must be a positive number of decisions"),
        ("drift: { latency_ratio: 1 }", "drift.latency_ratio must be a factor above 1"),
        ("drift: { min_votes: 0 }", "drift.min_votes must be a positive number of votes"),
        ("drift: { ratio: 2 }", "unknown key 'ratio' in drift"),
        ("reconciliation: { interval: 0s }", "reconciliation.interval must be a positive duration"),
        ("reconciliation: { stale_after: soon }", "reconciliation.stale_after must be a positive duration"),
        ("store: { postgres: { url: \"mysql://x\" } }", "store.postgres.url must be a postgres:// URL"),
        ("store: { postgres: { max_connections: 5 } }", "store.postgres needs a url"),
        ("store: { postgres: { url: \"postgres://a@db/x\", max_connections: 1 } }", "max_connections must be a number from 2 to 1000"),
    ])
    func refuses(_ text: String, _ expected: String) {
        let message = error(text)
        #expect(message.contains(expected), "\(message)")
        #expect(message.hasPrefix("airlock.yaml:"), "the error names the file and line: \(message)")
    }
}
