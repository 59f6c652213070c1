import AirlockCore
import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

/// Store conformance: work claimed by one instance at a time (passed deadlines, mutations to
/// reconcile), as webhook deliveries are.
@Suite("Store conformance: claims", .sharedResources)
struct ClaimConformanceTests {
    /// Opens review `r-N` of mutation `m-N` due at `deadline`.
    private func review(_ n: Int, due deadline: Date?, in subject: StoreUnderTest) async throws {
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-\(n)"), audit: Fixtures.submitted())
        change.transition("m-\(n)", from: .received, to: .pendingReview, audit: Fixtures.audit(.decided))
        change.openReview(Fixtures.review("r-\(n)", of: "m-\(n)", deadline: deadline), audit: Fixtures.audit(.reviewOpened))
        try await subject.store.apply(change)
    }

    @Test("passed deadlines: concurrent claimers never share a review; a claim holds until its lease ends", arguments: StoreFactory.all)
    func dueReviews(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let now = subject.clock.now
        for n in 0..<12 {
            // Nine passed deadlines (m-0 … m-8), one later, two without any.
            try await review(n, due: n < 9 ? now.addingTimeInterval(Double(n - 20)) : n == 9 ? now.addingTimeInterval(60) : nil, in: subject)
        }
        // A passed deadline whose review is closed is nobody's work.
        var close = StoreChange(at: now)
        close.closeReview("r-8", as: .approved, audit: Fixtures.audit(.reviewClosed))
        try await store.apply(close)

        let lease = now.addingTimeInterval(20)
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { try await store.claimDueReviews(at: now, limit: 3, leaseUntil: lease).map(\.id) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let claimed = claims.flatMap { $0 }
        #expect(claimed.count == Set(claimed).count, "a review claimed twice: \(claims)")
        #expect(Set(claimed).isSubset(of: Set((0..<8).map { "r-\($0)" })), "\(claims)")
        #expect(claims.allSatisfy { $0.count <= 3 })
        // What the four left, the next claim takes, earliest deadline first; then none is left.
        let rest = try await store.claimDueReviews(at: now, limit: 100, leaseUntil: lease).map(\.id)
        #expect(Set(claimed + rest) == Set((0..<8).map { "r-\($0)" }) && claimed.count + rest.count == 8)
        #expect(rest == rest.sorted { Int($0.dropFirst(2))! < Int($1.dropFirst(2))! })
        #expect(try await store.claimDueReviews(at: now, limit: 100, leaseUntil: lease).isEmpty)
        // When the lease ends, what is still open and due is free again.
        let again = try await store.claimDueReviews(at: lease, limit: 100, leaseUntil: lease.addingTimeInterval(20)).map(\.id)
        #expect(again == (0..<8).map { "r-\($0)" })
        // Later still, r-9's deadline has passed too, and the other claims have run out.
        let later = try await store.claimDueReviews(at: now.addingTimeInterval(61), limit: 100, leaseUntil: lease).map(\.id)
        #expect(later == (0..<8).map { "r-\($0)" } + ["r-9"])
    }

    @Test("mutations to reconcile: only those unchanged long enough, never to two claimers", arguments: StoreFactory.all)
    func staleMutations(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        for n in 0..<10 {
            try await store.create("m-\(n)", at: start)
            try await store.move("m-\(n)", .received, .approved, at: start)
            try await store.move("m-\(n)", .approved, .executing, at: start)
        }
        try await store.create("waiting", at: start)
        let recent = start.addingTimeInterval(600)
        for n in 6..<10 { try await store.move("m-\(n)", .executing, .executed, at: recent) }
        try await store.create("late", at: recent)
        try await store.move("late", .received, .approved, at: recent)
        try await store.move("late", .approved, .executing, at: recent)

        let now = start.addingTimeInterval(660)
        let cutoff = now.addingTimeInterval(-300)
        let lease = now.addingTimeInterval(20)
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await store.claimStaleMutations(
                        statuses: [.executing, .rollingBack], updatedBefore: cutoff, at: now, limit: 2, leaseUntil: lease
                    ).map(\.id)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let claimed = claims.flatMap { $0 }
        #expect(claimed.count == Set(claimed).count, "a mutation claimed twice: \(claims)")
        let rest = try await store.claimStaleMutations(
            statuses: [.executing], updatedBefore: cutoff, at: now, limit: 100, leaseUntil: lease
        ).map(\.id)
        // m-0 … m-5 stood still in `executing`; `late` moved too recently, m-6 … m-9 are done.
        #expect(Set(claimed + rest) == Set((0..<6).map { "m-\($0)" }) && claimed.count + rest.count == 6, "\(claims) \(rest)")
        #expect(rest == rest.sorted())
        #expect(try await store.claimStaleMutations(statuses: [.executing], updatedBefore: now, at: now, limit: 100, leaseUntil: lease).map(\.id) == ["late"])
        #expect(try await store.claimStaleMutations(statuses: [], updatedBefore: now, at: lease, limit: 100, leaseUntil: lease).isEmpty)
        let again = try await store.claimStaleMutations(
            statuses: [.executing], updatedBefore: now, at: lease, limit: 100, leaseUntil: lease.addingTimeInterval(20)
        ).map(\.id)
        #expect(again == (0..<6).map { "m-\($0)" } + ["late"])
        // Claiming changes nothing a reader sees of the mutation.
        #expect(try await store.mutation(id: "m-0")?.updatedAt == start)
    }
}
