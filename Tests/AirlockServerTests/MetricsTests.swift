import AirlockCore
import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite(.sharedResources) struct MetricsTests {
    @Test("the counters an operator alerts on are exported at 0 before their first event")
    func countersFromTheStart() async throws {
        try await TestServer.with { api, _ in
            let text = try await api.get("/metrics", key: nil).text
            for line in [
                "airlock_escalations_total 0", "airlock_verification_failures_total 0", "airlock_rollbacks_total 0",
                #"airlock_webhook_delivery_failures_total{final="true"} 0"#,
                #"airlock_webhook_delivery_failures_total{final="false"} 0"#,
                #"airlock_alarms_total{kind="drift"} 0"#, #"airlock_alarms_total{kind="oversight"} 0"#,
                #"airlock_executions_total{outcome="failed"} 0"#,
            ] {
                #expect(text.contains(line + "\n"), "missing \(line) in:\n\(text)")
            }
        }
    }

    @Test("/metrics counts decisions, votes and human decision time, with bounded labels and no ids")
    func prometheus() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, parts in
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.blockSSN)
            _ = try await api.submit(Mutations.invalidTransfer)
            _ = try await api.submit(#"{"resource": "made.up.\#(UUID().uuidString)", "operation": "create", "changes": {}}"#)
            let high = try await api.submit(Mutations.highDelete).json["id"].string ?? ""
            clock.advance(by: 90)
            #expect(try await api.approve(high, key: TestServer.Key.bob).status == .ok)
            let reply = try await api.get("/metrics", key: nil)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = reply.text
            for line in [
                #"airlock_decisions_total{tier="low",resource="catalog.product"} 2"#,
                #"airlock_decisions_total{tier="block",resource="crm.customer"} 1"#,
                #"airlock_decisions_total{tier="high",resource="crm.customer"} 1"#,
                #"airlock_decisions_total{tier="invalid",resource="payments.transfer"} 1"#,
                #"airlock_decisions_total{tier="invalid",resource="unknown"} 1"#,
                #"airlock_votes_total{pool="support-leads",decision="approve"} 1"#,
                "airlock_decision_duration_seconds_count 6",
                "airlock_human_decision_duration_seconds_count 1",
                #"airlock_human_decision_duration_seconds_bucket{le="60.0"} 0"#,
                #"airlock_human_decision_duration_seconds_bucket{le="300.0"} 1"#,
                "airlock_open_reviews 0.0",
                "airlock_overdue_reviews 0.0",
                #"airlock_policy_info{name="\#(parts.pack.name)",version="\#(parts.pack.version.prefix(12))"} 1.0"#,
            ] {
                #expect(text.contains(line + "\n"), "missing: \(line)\n\(text)")
            }
            #expect(!text.contains("mut_") && !text.contains("made.up"), "no ids and no caller-made names in labels")
        }
    }
}
