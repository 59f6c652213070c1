import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: what the learning loop keeps and reads — the shadow candidate and its
/// results, the per-hour distributions, the votes of a window.
@Suite("Store conformance: learning loop", .sharedResources)
struct LearningConformanceTests {
    @Test("the shadow setting is kept, replaced and removed, each audited", arguments: StoreFactory.all)
    func shadowSetting(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.shadowPolicy() == nil)
        let first = ShadowSetting(version: "v-1", since: subject.clock.now, by: "root")
        var start = StoreChange(at: subject.clock.now)
        start.setShadow(first, audit: AuditEntry(kind: .shadowStarted, actor: "root", payload: "{}"))
        #expect(try await store.apply(start).auditRecords.map(\.kind) == [.shadowStarted])
        #expect(try await store.shadowPolicy() == first)
        subject.clock.advance(by: 60)
        let second = ShadowSetting(version: "v-2", since: subject.clock.now, by: "ana")
        var replace = StoreChange(at: subject.clock.now)
        replace.setShadow(second, audit: AuditEntry(kind: .shadowStarted, actor: "ana", payload: "{}"))
        _ = try await store.apply(replace)
        #expect(try await store.shadowPolicy() == second)
        var stop = StoreChange(at: subject.clock.now)
        stop.setShadow(nil, audit: AuditEntry(kind: .shadowStopped, actor: "ana", payload: "{}"))
        #expect(try await store.apply(stop).auditRecords.map(\.kind) == [.shadowStopped])
        #expect(try await store.shadowPolicy() == nil)
    }

    @Test("shadow results are kept whole, one per mutation, and read by version and time", arguments: StoreFactory.all)
    func shadowResults(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let t0 = subject.clock.now
        func result(_ id: String, _ version: String, at time: Date, shadowTier: String) -> ShadowResult {
            ShadowResult(
                mutationID: id, shadowVersion: version, activeVersion: "active", at: time, resource: "catalog.product",
                activeTier: "low", shadowTier: shadowTier, activeRules: [], shadowRules: shadowTier == "low" ? [] : ["strict"],
                shadowDecision: shadowTier == "low" ? nil : #"{"tier":"high"}"#)
        }
        var change = StoreChange(at: t0)
        let a = result("m-1", "v-1", at: t0, shadowTier: "high")
        let b = result("m-2", "v-1", at: t0.addingTimeInterval(10), shadowTier: "low")
        let c = result("m-3", "v-2", at: t0.addingTimeInterval(20), shadowTier: "high")
        for item in [a, b, c] { change.recordShadowResult(item) }
        _ = try await store.apply(change)
        #expect(try await store.shadowResults(version: "v-1", since: nil) == [a, b])
        #expect(try await store.shadowResults(version: nil, since: t0.addingTimeInterval(5)) == [b, c])
        #expect(try await store.shadowResults(version: "v-3", since: nil).isEmpty)
    }

    @Test("distribution counts add up per hour, resource, dimension and bucket", arguments: StoreFactory.all)
    func distributions(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let hour = Date(timeIntervalSince1970: 1_767_693_600)
        let next = hour.addingTimeInterval(3600)
        for _ in 0..<2 {
            var change = StoreChange(at: hour)
            change.addDistributionCounts([
                DistributionCount(hour: hour, resource: "payments.transfer", dimension: "tier", bucket: "low", count: 3),
                DistributionCount(hour: next, resource: "payments.transfer", dimension: "tier", bucket: "high", count: 1),
            ])
            _ = try await store.apply(change)
        }
        let counts = try await store.distributionCounts(from: hour, to: next)
        #expect(counts == [DistributionCount(hour: hour, resource: "payments.transfer", dimension: "tier", bucket: "low", count: 6)])
        #expect(try await store.distributionCounts(from: hour, to: next.addingTimeInterval(1)).map(\.count) == [6, 2])
    }
}
