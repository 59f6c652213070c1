import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: what the gateway's `system` state is kept as and seeded from — the freeze,
/// the open reviews, the executions and rollbacks of the last hour.
@Suite("Store conformance: system state", .sharedResources)
struct SystemStateConformanceTests {
    @Test("the freeze is kept with who, why and when, replaced whole, and audited", arguments: StoreFactory.all)
    func freeze(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.freeze() == nil)

        var on = StoreChange(at: subject.clock.now)
        let frozen = FreezeRecord(on: true, reason: "payments incident", since: subject.clock.now, by: "root")
        on.setFreeze(frozen, audit: AuditEntry(kind: .freezeChanged, actor: "root", payload: #"{"on":true}"#))
        let receipt = try await store.apply(on)
        #expect(receipt.auditRecords.map(\.kind) == [.freezeChanged])
        #expect(receipt.auditRecords.first?.actor == "root" && receipt.auditRecords.first?.mutationID == nil)
        #expect(try await store.freeze() == frozen)

        subject.clock.advance(by: 600)
        var off = StoreChange(at: subject.clock.now)
        let thawed = FreezeRecord(on: false, reason: nil, since: subject.clock.now, by: "ana")
        off.setFreeze(thawed, audit: AuditEntry(kind: .freezeChanged, actor: "ana", payload: #"{"on":false}"#))
        _ = try await store.apply(off)
        #expect(try await store.freeze() == thawed)
    }

    @Test("open reviews are counted, blocking and parallel, closed ones not", arguments: StoreFactory.all)
    func openReviewCount(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.openReviewCount() == 0)
        for n in 1...3 {
            var change = StoreChange(at: subject.clock.now)
            change.createMutation(Fixtures.mutation("m-\(n)"), audit: Fixtures.submitted())
            change.openReview(
                NewReview(
                    id: "r-\(n)", mutationID: "m-\(n)", mode: n == 3 ? .parallel : .blocking,
                    groups: [ApprovalGroup(pool: "finance", count: 1)], deadline: nil),
                audit: Fixtures.audit(.reviewOpened))
            _ = try await store.apply(change)
        }
        #expect(try await store.openReviewCount() == 3)
        var close = StoreChange(at: subject.clock.now)
        close.closeReview("r-2", as: .approved, audit: Fixtures.audit(.reviewClosed))
        _ = try await store.apply(close)
        #expect(try await store.openReviewCount() == 2)
    }

    @Test("moves are counted per bucket since a time, by their from and to", arguments: StoreFactory.all)
    func moveCounts(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        // m-1 executes at start; m-2 and m-3 ten minutes later, and m-2 is rolled back at once;
        // m-3's rollback is refused (rolling_back → executed: not an execution).
        for (id, offset) in [("m-1", 0.0), ("m-2", 600), ("m-3", 600)] {
            let at = start.addingTimeInterval(offset)
            try await store.create(id, at: at)
            try await store.move(id, .received, .approved, at: at)
            try await store.move(id, .approved, .executing, at: at)
            try await store.move(id, .executing, .executed, at: at)
        }
        let later = start.addingTimeInterval(610)
        try await store.move("m-2", .executed, .rollingBack, at: later)
        try await store.move("m-2", .rollingBack, .rolledBack, at: later)
        try await store.move("m-3", .executed, .rollingBack, at: later)
        try await store.move("m-3", .rollingBack, .executed, at: later)

        let executed = try await store.moveCounts(from: .executing, to: .executed, since: start, bucketSeconds: 60)
        #expect(executed.map(\.count) == [1, 2], "\(executed)")
        #expect(executed.first?.bucketStart == Self.bucketStart(start, 60))
        #expect(executed.last?.bucketStart == Self.bucketStart(start.addingTimeInterval(600), 60))
        let rolledBack = try await store.moveCounts(from: .rollingBack, to: .rolledBack, since: start, bucketSeconds: 60)
        #expect(rolledBack.map(\.count) == [1])
        #expect(rolledBack.first?.bucketStart == Self.bucketStart(later, 60))
        // Only what happened at or after `since`.
        let recent = try await store.moveCounts(
            from: .executing, to: .executed, since: start.addingTimeInterval(1), bucketSeconds: 60)
        #expect(recent.map(\.count) == [2])
    }

    @Test("decisions are counted per bucket and tier since a time; undecided ones under no tier", arguments: StoreFactory.all)
    func tierCounts(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        // m-1 (low) at start; m-2 (high), m-3 (low) and m-4 (never decided) ten minutes later.
        for (id, offset, tier) in [("m-1", 0.0, "low"), ("m-2", 600, "high"), ("m-3", 600, "low"), ("m-4", 600, nil)] {
            let at = start.addingTimeInterval(offset)
            try await store.create(id, at: at)
            if let tier {
                try await store.move(id, .received, .approved, at: at, setting: MutationUpdate(tier: tier))
            }
        }
        let counts = try await store.tierCounts(since: start, bucketSeconds: 60)
        let first = Self.bucketStart(start, 60)
        let second = Self.bucketStart(start.addingTimeInterval(600), 60)
        #expect(
            Set(counts) == [
                TierCount(bucketStart: first, tier: "low", count: 1), TierCount(bucketStart: second, tier: "high", count: 1),
                TierCount(bucketStart: second, tier: "low", count: 1), TierCount(bucketStart: second, tier: nil, count: 1),
            ], "\(counts)")
        #expect(counts.first?.bucketStart == first, "oldest first")
        let recent = try await store.tierCounts(since: start.addingTimeInterval(1), bucketSeconds: 3_600)
        #expect(recent.reduce(0) { $0 + $1.count } == 3, "only what was created at or after `since`")
    }

    @Test("the reviews opened since a time are read, oldest first, open and closed", arguments: StoreFactory.all)
    func reviewsOpenedSince(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        for n in 1...3 {
            var change = StoreChange(at: start.addingTimeInterval(Double(n) * 60))
            change.createMutation(Fixtures.mutation("m-\(n)"), audit: Fixtures.submitted())
            change.openReview(
                NewReview(id: "r-\(n)", mutationID: "m-\(n)", mode: .blocking, groups: [ApprovalGroup(pool: "finance", count: 1)], deadline: nil),
                audit: Fixtures.audit(.reviewOpened))
            _ = try await store.apply(change)
        }
        var close = StoreChange(at: start.addingTimeInterval(300))
        close.closeReview("r-2", as: .approved, audit: Fixtures.audit(.reviewClosed))
        _ = try await store.apply(close)
        let since = try await store.reviews(openedSince: start.addingTimeInterval(120))
        #expect(since.map(\.id) == ["r-2", "r-3"])
        #expect(since.first?.status == .approved && since.first?.closedAt != nil)
        #expect(try await store.reviews(openedSince: start).count == 3)
    }

    static func bucketStart(_ date: Date, _ seconds: Int) -> Date {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let width = Int64(seconds) * 1_000_000
        return Date(timeIntervalSince1970: Double(micros / width * width) / 1_000_000)
    }
}
