import AirlockCore
import AirlockEngine
import AirlockServer
import Foundation
import HTTPTypes
import AirlockTestSupport
import Testing

/// Drift alarms: the per-hour distributions of a resource's decisions, compared window against
/// reference with the population stability index.
@Suite(.sharedResources) struct DriftTests {
    @Test func aStableStreamRaisesNothingAndAShiftedOneRaisesExactlyOneAlarm() async throws {
        let clock = ManualClock(TestServer.businessHours)  // 10:00, on the hour
        try await TestServer.with(clock: clock) { api, parts in
            var settings = DriftSettings()
            settings.window = 3_600
            settings.reference = 3 * 3_600
            settings.minimumCount = 20
            parts.gateway.configureDrift(settings)

            func hour(low: Int, high: Int) async throws {
                for i in 0..<(low + high) {
                    let reply = try await api.submit(i < low ? Mutations.lowTitle : Mutations.highRepricing)
                    #expect(reply.status == .created || reply.status == .accepted || reply.status == .ok, "\(reply)")
                }
                clock.advance(by: 3_600)
            }
            func driftAlarms() async throws -> [JSON] {
                let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
                return audit.json["items"].array.filter { $0["kind"].string == "drift" }
            }

            // Three stable hours: the same mix each hour.
            for _ in 0..<3 {
                try await hour(low: 16, high: 4)
                let findings = try await parts.gateway.checkDrift()
                #expect(findings.allSatisfy { $0.index < settings.threshold }, "\(findings)")
            }
            #expect(try await driftAlarms().isEmpty)
            let compared = try await parts.gateway.checkDrift()
            #expect(compared.contains { $0.resource == "catalog.product" && $0.dimension == "tier" }, "stable hours were compared: \(compared)")

            // A shifted hour: most changes now wait.
            try await hour(low: 6, high: 14)
            let findings = try await parts.gateway.checkDrift()
            let tier = try #require(findings.first { $0.resource == "catalog.product" && $0.dimension == "tier" }, "\(findings)")
            #expect(tier.index >= settings.threshold, "\(tier)")
            #expect(tier.bucket == "high" || tier.bucket == "low", "\(tier)")
            // Checked again, the alarm is not raised twice.
            _ = try await parts.gateway.checkDrift()
            let alarms = try await driftAlarms()
            #expect(alarms.count == 1, "exactly one alarm: \(alarms)")
            let payload = try #require(alarms.first?["payload"].string)
            #expect(payload.contains(#""resource":"catalog.product""#), "\(payload)")
            #expect(payload.contains(#""dimension":"tier""#), "\(payload)")

            let metrics = try await api.get("/metrics", key: nil)
            #expect(metrics.text.contains(#"airlock_alarms_total{kind="drift"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"airlock_drift_score{resource="catalog.product",dimension="tier"}"#), "\(metrics.text)")
        }
    }

    @Test func aPoolWhoseMedianTimeToDecideMovesRaisesExactlyOneLatencyAlarm() async throws {
        let clock = ManualClock(TestServer.businessHours)  // 10:00, on the hour
        try await TestServer.with(clock: clock) { api, parts in
            var settings = DriftSettings()
            settings.window = 3_600
            settings.reference = 3 * 3_600
            settings.minimumVotes = 3
            parts.gateway.configureDrift(settings)

            /// An hour of three high-tier deletions, each approved `seconds` after its review opened.
            func hour(approvingAfter seconds: Double) async throws {
                for _ in 0..<3 {
                    let submitted = try await api.submit(Mutations.highDelete)
                    let id = try #require(submitted.json["id"].string, "\(submitted)")
                    clock.advance(by: seconds)
                    let approved = try await api.approve(id, key: TestServer.Key.alice)
                    #expect(approved.status == .ok, "\(approved)")
                }
                clock.advance(by: 3_600 - 3 * seconds)
            }
            func latencyAlarms() async throws -> [JSON] {
                let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
                return audit.json["items"].array.filter { $0["kind"].string == "drift" && $0["payload"].string?.contains("review_latency") == true }
            }

            for _ in 0..<3 {
                try await hour(approvingAfter: 60)
                let findings = try await parts.gateway.checkReviewLatency()
                #expect(findings.allSatisfy { !$0.moved(by: settings.latencyRatio) }, "\(findings)")
            }
            let stable = try await parts.gateway.checkReviewLatency()
            #expect(stable.map(\.pool) == ["support-leads"], "stable hours were compared: \(stable)")
            #expect(try await latencyAlarms().isEmpty)

            // Reviews now wait ten minutes.
            try await hour(approvingAfter: 600)
            let findings = try await parts.gateway.checkReviewLatency()
            let pool = try #require(findings.first, "\(findings)")
            #expect(pool.referenceMedianSeconds == 60 && pool.windowMedianSeconds == 600, "\(pool)")
            #expect(pool.ratio == 10, "\(pool)")
            _ = try await parts.gateway.checkReviewLatency()
            let alarms = try await latencyAlarms()
            #expect(alarms.count == 1, "exactly one alarm: \(alarms)")
            let payload = try #require(alarms.first?["payload"].string)
            #expect(payload.contains(#""pool":"support-leads""#), "\(payload)")
            #expect(payload.contains(#""window_median_seconds":600"#), "\(payload)")
            let metrics = try await api.get("/metrics", key: nil)
            #expect(metrics.text.contains(#"airlock_review_latency_ratio{pool="support-leads"} 10"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"airlock_alarms_total{kind="drift"} 1"#), "\(metrics.text)")

            // Back to a minute: the alarm clears, and nothing new is raised.
            try await hour(approvingAfter: 60)
            try await hour(approvingAfter: 60)
            _ = try await parts.gateway.checkReviewLatency()
            #expect(try await latencyAlarms().count == 1)
        }
    }

    @Test func latencyMovesEitherWay() throws {
        let slower = try #require(Drift.compareLatency(pool: "p", reference: [30, 60, 90], window: [100, 130, 500]))
        #expect(slower.ratio == 130.0 / 60.0 && slower.moved(by: 2))
        let faster = try #require(Drift.compareLatency(pool: "p", reference: [30, 60, 90], window: [5, 20, 40]))
        #expect(faster.moved(by: 2), "a third of the time is as telling: \(faster)")
        let same = try #require(Drift.compareLatency(pool: "p", reference: [30, 60, 90], window: [50, 70, 80]))
        #expect(!same.moved(by: 2))
        #expect(Drift.compareLatency(pool: "p", reference: [], window: [1]) == nil)
        #expect(slower.moved == "median time to decide 60 s → 2.2 min")
        #expect(Drift.compareLatency(pool: "p", reference: [60], window: [390])?.moved == "median time to decide 60 s → 6.5 min")
    }

    @Test func anApprovalGivenSecondsAfterAHighTierReviewOpenedRaisesOneOversightAlarm() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, parts in
            let submitted = try await api.submit(Mutations.highDelete)
            let id = try #require(submitted.json["id"].string, "\(submitted)")
            clock.advance(by: 2)
            let approved = try await api.approve(id, key: TestServer.Key.alice)
            #expect(approved.status == .ok, "\(approved)")
            let findings = try await parts.gateway.checkOversight()
            #expect(findings.map(\.key) == ["fast_approval reviewer alice"], "\(findings)")
            _ = try await parts.gateway.checkOversight()
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
            let alarms = audit.json["items"].array.filter { $0["kind"].string == "oversight" }
            #expect(alarms.count == 1, "raised once: \(alarms)")
            #expect(alarms.first?["payload"].string?.contains("reviewer alice") == true, "\(alarms)")
            let metrics = try await api.get("/metrics", key: nil)
            #expect(metrics.text.contains(#"airlock_alarms_total{kind="oversight"} 1"#), "\(metrics.text)")
        }
    }

    @Test func theStabilityIndexIsZeroForTheSameMixAndGrowsWithTheShift() {
        let same = Drift.stabilityIndex(reference: ["low": 80, "high": 20], window: ["low": 40, "high": 10])
        #expect(abs(same) < 0.001)
        let small = Drift.stabilityIndex(reference: ["low": 80, "high": 20], window: ["low": 75, "high": 25])
        let large = Drift.stabilityIndex(reference: ["low": 80, "high": 20], window: ["low": 30, "high": 70])
        #expect(small > 0 && small < 0.1, "\(small)")
        #expect(large > 0.25, "\(large)")
        let newBucket = Drift.compare(resource: "r", dimension: "tier", reference: ["low": 100], window: ["low": 50, "block": 50])
        #expect(newBucket.index.isFinite && newBucket.index > 0.25)
        #expect(newBucket.moved == "block 0.0% → 50.0%" || newBucket.moved == "low 100.0% → 50.0%", "\(newBucket.moved)")
    }
}
