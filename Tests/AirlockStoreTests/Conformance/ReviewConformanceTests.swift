import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: reviews and votes.
@Suite("Store conformance: reviews and votes", .sharedResources)
struct ReviewConformanceTests {
    /// A mutation held for review `r-1` (finance × 2, due in an hour).
    private func held(_ subject: StoreUnderTest) async throws {
        let store = subject.store
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-1"), audit: Fixtures.submitted())
        change.transition(
            "m-1", from: .received, to: .pendingReview, setting: MutationUpdate(tier: "high", policyVersion: "pv-1"),
            audit: Fixtures.audit(.decided, "policy", policyVersion: "pv-1"))
        change.openReview(
            Fixtures.review("r-1", of: "m-1", deadline: subject.clock.now.addingTimeInterval(3600)),
            audit: Fixtures.audit(.reviewOpened, "policy"))
        let receipt = try await store.apply(change)
        #expect(receipt.auditRecords.map(\.kind) == [.submitted, .decided, .reviewOpened])
        #expect(receipt.auditRecords.allSatisfy { $0.mutationID == "m-1" })
    }

    @Test("a review opens with its groups and deadline; one open review per mutation", arguments: StoreFactory.all)
    func openReview(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        try await held(subject)
        let review = try #require(try await subject.store.review(id: "r-1"))
        #expect(review.mutationID == "m-1" && review.mode == .blocking && review.status == .open)
        #expect(review.groups == [ApprovalGroup(pool: "finance", count: 2)] && review.rejectAfter == 1)
        #expect(review.deadline == subject.clock.now.addingTimeInterval(3600) && review.escalations == 0)
        #expect(review.openedAt == subject.clock.now && review.closedAt == nil)
        #expect(try await subject.store.reviews(mutationID: "m-1") == [review])

        var second = StoreChange(at: subject.clock.now)
        second.openReview(Fixtures.review("r-2", of: "m-1", deadline: nil), audit: Fixtures.audit(.reviewOpened))
        #expect(await storeErrorCode { _ = try await subject.store.apply(second) } == .alreadyExists)

        var orphan = StoreChange(at: subject.clock.now)
        orphan.openReview(Fixtures.review("r-3", of: "nope", deadline: nil), audit: Fixtures.audit(.reviewOpened))
        #expect(await storeErrorCode { _ = try await subject.store.apply(orphan) } == .notFound)

        var empty = StoreChange(at: subject.clock.now)
        empty.openReview(
            NewReview(id: "r-4", mutationID: "m-1", mode: .parallel, groups: [], deadline: nil),
            audit: Fixtures.audit(.reviewOpened))
        #expect(await storeErrorCode { _ = try await subject.store.apply(empty) } == .invalidArgument)
    }

    @Test("a review closed and its successor opened in one commit: the open one is the latest, whatever the ids", arguments: StoreFactory.all)
    func successorInOneCommit(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        try await held(subject)
        // "r-0" sorts before "r-1": only the order by state can put it last.
        var change = StoreChange(at: subject.clock.now)
        change.closeReview("r-1", as: .cancelled, audit: Fixtures.audit(.reviewClosed))
        change.openReview(Fixtures.review("r-0", of: "m-1", deadline: nil), audit: Fixtures.audit(.reviewOpened))
        _ = try await subject.store.apply(change)
        let reviews = try await subject.store.reviews(mutationID: "m-1")
        #expect(reviews.map(\.id) == ["r-1", "r-0"])
        #expect(reviews.last?.status == .open)
        // Read together with the mutation, the latest review is the same one.
        let reviewed = try #require(try await subject.store.reviewedMutation(id: "m-1"))
        #expect(reviewed.review == reviews.last && reviewed.votes.isEmpty)
        #expect(reviewed.record == (try await subject.store.mutation(id: "m-1")))
    }

    @Test("a mutation read with its latest review and that review's votes", arguments: StoreFactory.all)
    func reviewedMutation(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.reviewedMutation(id: "m-1") == nil)
        var unreviewed = StoreChange(at: subject.clock.now)
        unreviewed.createMutation(Fixtures.mutation("m-2"), audit: Fixtures.submitted())
        _ = try await store.apply(unreviewed)
        let alone = try #require(try await store.reviewedMutation(id: "m-2"))
        #expect(alone.record.id == "m-2" && alone.review == nil && alone.votes.isEmpty)

        try await held(subject)
        var voted = StoreChange(at: subject.clock.now)
        voted.castVote(Fixtures.vote("r-1", by: "alice"), audit: Fixtures.audit(.voted, "alice"))
        _ = try await store.apply(voted)
        // Escalated, cancelled and succeeded by a review opened later: the votes are the new one's.
        subject.clock.advance(by: 30)
        var next = StoreChange(at: subject.clock.now)
        next.closeReview("r-1", as: .cancelled, audit: Fixtures.audit(.reviewClosed))
        next.openReview(Fixtures.review("r-2", of: "m-1", deadline: nil), audit: Fixtures.audit(.reviewOpened))
        _ = try await store.apply(next)
        var first = try #require(try await store.reviewedMutation(id: "m-1"))
        #expect(first.review?.id == "r-2" && first.votes.isEmpty)
        var bob = StoreChange(at: subject.clock.now)
        bob.castVote(Fixtures.vote("r-2", by: "bob"), audit: Fixtures.audit(.voted, "bob"))
        _ = try await store.apply(bob)
        first = try #require(try await store.reviewedMutation(id: "m-1"))
        #expect(first.review == (try await store.reviews(mutationID: "m-1")).last)
        #expect(first.votes == (try await store.votes(reviewID: "r-2")) && first.votes.map(\.reviewer) == ["bob"])
        #expect(first.record == (try await store.mutation(id: "m-1")))
    }

    @Test("votes: one per reviewer per mutation, never by the requester, only while open", arguments: StoreFactory.all)
    func votes(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await held(subject)

        var first = StoreChange(at: subject.clock.now)
        first.castVote(Fixtures.vote("r-1", by: "alice"), audit: Fixtures.audit(.voted, "alice"))
        let receipt = try await store.apply(first)

        var again = StoreChange(at: subject.clock.now)
        again.castVote(Fixtures.vote("r-1", by: "alice", .reject), audit: Fixtures.audit(.voted, "alice"))
        #expect(await storeErrorCode { _ = try await store.apply(again) } == .duplicateVote)

        var requester = StoreChange(at: subject.clock.now)
        requester.castVote(Fixtures.vote("r-1", by: "agent-7"), audit: Fixtures.audit(.voted, "agent-7"))
        #expect(await storeErrorCode { _ = try await store.apply(requester) } == .requesterCannotVote)

        // The second approval completes the review and approves the mutation, in one change.
        subject.clock.advance(by: 60)
        var second = StoreChange(at: subject.clock.now)
        second.castVote(Fixtures.vote("r-1", by: "bob"), audit: Fixtures.audit(.voted, "bob"))
        second.closeReview("r-1", as: .approved, audit: Fixtures.audit(.reviewClosed, "bob"))
        second.transition("m-1", from: .pendingReview, to: .approved, audit: Fixtures.audit(.approved, "bob"))
        _ = try await store.apply(second)

        let votes = try await store.votes(reviewID: "r-1")
        #expect(votes.map(\.reviewer) == ["alice", "bob"])
        let alice = try #require(votes.first)
        #expect(alice.decision == .approve && alice.note == "looks right" && alice.contentHash == "c0ffee")
        #expect(alice.policyVersion == "pv-1" && alice.pool == "finance" && alice.mutationID == "m-1")
        #expect(alice.auditSeq == receipt.auditRecords[0].seq)
        #expect(votes[1].at == subject.clock.now)

        let review = try #require(try await store.review(id: "r-1"))
        #expect(review.status == .approved && review.closedAt == subject.clock.now)
        #expect(try await store.mutation(id: "m-1")?.status == .approved)

        var late = StoreChange(at: subject.clock.now)
        late.castVote(Fixtures.vote("r-1", by: "carol"), audit: Fixtures.audit(.voted, "carol"))
        #expect(await storeErrorCode { _ = try await store.apply(late) } == .reviewNotOpen)
        var unknown = StoreChange(at: subject.clock.now)
        unknown.castVote(Fixtures.vote("r-9", by: "carol"), audit: Fixtures.audit(.voted, "carol"))
        #expect(await storeErrorCode { _ = try await store.apply(unknown) } == .notFound)
    }

    @Test("escalation moves an open review to the next pool; closed reviews stay closed", arguments: StoreFactory.all)
    func escalation(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await held(subject)
        subject.clock.advance(by: 3600)
        let deadline = subject.clock.now.addingTimeInterval(1800)
        var escalate = StoreChange(at: subject.clock.now)
        escalate.escalateReview(
            "r-1", to: [ApprovalGroup(pool: "finance-leads", count: 1)], deadline: deadline,
            audit: Fixtures.audit(.escalated, "system"))
        let receipt = try await store.apply(escalate)
        #expect(receipt.auditRecords.map(\.kind) == [.escalated])
        #expect(receipt.auditRecords.first?.mutationID == "m-1")

        let review = try #require(try await store.review(id: "r-1"))
        #expect(review.groups == [ApprovalGroup(pool: "finance-leads", count: 1)])
        #expect(review.deadline == deadline && review.escalations == 1 && review.status == .open)
        #expect(try await store.mutation(id: "m-1")?.status == .pendingReview)

        var expire = StoreChange(at: subject.clock.now)
        expire.closeReview("r-1", as: .expired, audit: Fixtures.audit(.reviewClosed, "system"))
        expire.transition("m-1", from: .pendingReview, to: .expired, audit: Fixtures.audit(.expired, "system"))
        _ = try await store.apply(expire)

        var again = StoreChange(at: subject.clock.now)
        again.escalateReview(
            "r-1", to: [ApprovalGroup(pool: "cfo", count: 1)], deadline: nil, audit: Fixtures.audit(.escalated))
        #expect(await storeErrorCode { _ = try await store.apply(again) } == .reviewNotOpen)
        var close = StoreChange(at: subject.clock.now)
        close.closeReview("r-1", as: .rejected, audit: Fixtures.audit(.reviewClosed))
        #expect(await storeErrorCode { _ = try await store.apply(close) } == .reviewNotOpen)
    }

    @Test("two writers acting on one deadline escalate once; a vote read before the escalation is refused", arguments: StoreFactory.all)
    func escalationRace(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await held(subject)
        for attempt in 0..<2 {
            var escalate = StoreChange(at: subject.clock.now)
            escalate.escalateReview(
                "r-1", to: [ApprovalGroup(pool: "finance-leads", count: 1)], deadline: nil, fromEscalations: 0,
                audit: Fixtures.audit(.escalated, "system"))
            if attempt == 0 {
                _ = try await store.apply(escalate)
            } else {
                #expect(await storeErrorCode { _ = try await store.apply(escalate) } == .votesChanged)
            }
        }
        #expect(try await store.review(id: "r-1")?.escalations == 1)
        #expect(try await store.auditRecords(mutationID: "m-1").filter { $0.kind == .escalated }.count == 1)
        var stale = StoreChange(at: subject.clock.now)
        var vote = Fixtures.vote("r-1", by: "bob")
        vote.escalationsBefore = 0
        stale.castVote(vote, audit: Fixtures.audit(.voted, "bob"))
        #expect(await storeErrorCode { _ = try await store.apply(stale) } == .votesChanged)
        vote.escalationsBefore = 1
        var current = StoreChange(at: subject.clock.now)
        current.castVote(vote, audit: Fixtures.audit(.voted, "bob"))
        _ = try await store.apply(current)
    }

    @Test("open reviews are listed by deadline, and filtered by what is due", arguments: StoreFactory.all)
    func openReviewsByDeadline(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let now = subject.clock.now
        for (index, minutes) in [30, 10, nil, 20].enumerated() {
            var change = StoreChange(at: now)
            change.createMutation(Fixtures.mutation("m-\(index)"), audit: Fixtures.submitted())
            change.openReview(
                Fixtures.review(
                    "r-\(index)", of: "m-\(index)", deadline: minutes.map { now.addingTimeInterval(Double($0) * 60) }),
                audit: Fixtures.audit(.reviewOpened))
            _ = try await store.apply(change)
        }
        var close = StoreChange(at: now)
        close.closeReview("r-3", as: .cancelled, audit: Fixtures.audit(.reviewClosed))
        _ = try await store.apply(close)

        #expect(try await store.openReviews(deadlineBefore: nil).map(\.id) == ["r-1", "r-0", "r-2"])
        #expect(try await store.openReviews(deadlineBefore: now.addingTimeInterval(20 * 60)).map(\.id) == ["r-1"])
        #expect(try await store.openReviews(deadlineBefore: now).isEmpty)
        // The next deadline after a time: strictly later, open reviews only (r-3's 20 is closed).
        #expect(try await store.nextReviewDeadline() == now.addingTimeInterval(10 * 60))
        #expect(try await store.nextReviewDeadline(after: now) == now.addingTimeInterval(10 * 60))
        #expect(try await store.nextReviewDeadline(after: now.addingTimeInterval(10 * 60)) == now.addingTimeInterval(30 * 60))
        #expect(try await store.nextReviewDeadline(after: now.addingTimeInterval(15 * 60)) == now.addingTimeInterval(30 * 60))
        #expect(try await store.nextReviewDeadline(after: now.addingTimeInterval(30 * 60)) == nil)
    }

    @Test("a reviewer's queue: its pools, not its own or its owned principals' mutations, not voted on, in order, limited", arguments: StoreFactory.all)
    func reviewerQueue(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let now = subject.clock.now
        // (id, pool, deadline in minutes, submitter)
        let rows: [(String, String, Int?, String)] = [
            ("0", "finance", 30, "agent-7"), ("1", "finance", 10, "agent-7"), ("2", "privacy", 5, "agent-7"),
            ("3", "finance", nil, "agent-7"), ("4", "finance", 20, "bob"), ("5", "finance", 15, "bot-of-bob"),
            ("6", "finance", 25, "agent-7"), ("7", "finance", 12, "agent-7"),
        ]
        for (n, pool, minutes, actor) in rows {
            subject.clock.advance(by: 1)
            var change = StoreChange(at: subject.clock.now)
            change.createMutation(Fixtures.mutation("m-\(n)", actor: actor), audit: Fixtures.submitted(actor))
            change.openReview(
                Fixtures.review("r-\(n)", of: "m-\(n)", pool: pool, deadline: minutes.map { now.addingTimeInterval(Double($0) * 60) }),
                audit: Fixtures.audit(.reviewOpened))
            _ = try await store.apply(change)
        }
        // bob voted on r-6; r-7 is closed.
        var vote = StoreChange(at: subject.clock.now)
        vote.castVote(Fixtures.vote("r-6", by: "bob"), audit: Fixtures.audit(.voted, "bob"))
        _ = try await store.apply(vote)
        var close = StoreChange(at: subject.clock.now)
        close.closeReview("r-7", as: .cancelled, audit: Fixtures.audit(.reviewClosed))
        _ = try await store.apply(close)

        func queue(_ pools: [String], limit: Int = 50) async throws -> [String] {
            try await store.reviewQueue(pools: pools, reviewer: "bob", excludingActors: ["bob", "bot-of-bob"], limit: limit)
                .map(\.review.id)
        }
        #expect(try await queue(["finance"]) == ["r-1", "r-0", "r-3"])
        #expect(try await queue(["finance", "privacy"]) == ["r-2", "r-1", "r-0", "r-3"])
        #expect(try await queue(["finance", "privacy"], limit: 2) == ["r-2", "r-1"])
        #expect(try await queue(["pricing"]).isEmpty)
        #expect(try await queue([]).isEmpty)
        // Another reviewer: bob's own mutations and votes do not hide them.
        let carol = try await store.reviewQueue(pools: ["finance"], reviewer: "carol", excludingActors: ["carol"], limit: 50)
        #expect(carol.map(\.review.id) == ["r-1", "r-5", "r-4", "r-6", "r-0", "r-3"])
        // Each with its mutation and votes, read with it.
        #expect(carol.map(\.mutation.id) == ["m-1", "m-5", "m-4", "m-6", "m-0", "m-3"])
        #expect(carol.first { $0.review.id == "r-6" }?.votes.map(\.reviewer) == ["bob"])
        #expect(carol.first { $0.review.id == "r-1" }?.votes.isEmpty == true)
        #expect(carol.first { $0.review.id == "r-4" }?.mutation.actorID == "bob")
    }
}
