import AirlockCore
import CEL
import Testing

/// The counters behind `system.queue_depth` and `system.rollback_rate_1h`, driven by the
/// lifecycle's own steps.
@Suite("System activity")
struct SystemActivityTests {
    static let finance1 = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance", count: 1)])
    static let t0: Int64 = 1_767_693_600

    static func step(_ event: LifecycleEvent, from state: LifecycleState) throws -> LifecycleStep {
        try Lifecycle.handle(event, in: state)
    }

    static func state(_ status: MutationStatus, review: ReviewState? = nil) -> LifecycleState {
        LifecycleState(status: status, submitter: "agent-7", executor: .airlock, reversible: true, review: review)
    }

    @Test("a high-tier decision opens a review and its approval closes it")
    func queueDepthFollowsReviews() throws {
        var activity = SystemActivity()
        let opened = try Self.step(.decided(tier: .high, approvals: Self.finance1, at: Timestamp(seconds: Self.t0)), from: Self.state(.received))
        let counted = activity.count(opened, at: Self.t0)
        #expect(counted)
        #expect(activity.openReviews == 1)
        let medium = try Self.step(.decided(tier: .medium, approvals: Self.finance1, at: Timestamp(seconds: Self.t0)), from: Self.state(.received))
        activity.count(medium, at: Self.t0)
        #expect(activity.openReviews == 2)
        let approved = try Self.step(
            .voteCast(reviewer: "bob", approve: true, pools: ["finance"]), from: opened.state)
        activity.count(approved, at: Self.t0)
        #expect(activity.openReviews == 1)
        #expect(activity.systemState(freeze: false, at: Self.t0).queueDepth == 1)
    }

    @Test("a low-tier decision changes no counter")
    func lowTierCountsNothing() throws {
        var activity = SystemActivity(openReviews: 3)
        let low = try Self.step(.decided(tier: .low, approvals: nil, at: Timestamp(seconds: Self.t0)), from: Self.state(.received))
        let counted = activity.count(low, at: Self.t0)
        #expect(!counted)
        #expect(activity.openReviews == 3)
        #expect(activity.rollbackRate(at: Self.t0) == 0)
    }

    @Test("rolled back over executed in the last hour; a refused rollback is not a new execution")
    func rollbackRate() throws {
        var activity = SystemActivity()
        for _ in 0..<4 {
            activity.count(try Self.step(.executorFinished(.applied(.matches)), from: Self.state(.executing)), at: Self.t0)
        }
        #expect(activity.executedInLastHour(at: Self.t0) == 4)
        #expect(activity.rollbackRate(at: Self.t0) == 0)
        // A rollback starting is not yet a rollback; its completion is.
        let begun = try Self.step(.rollbackRequested(force: false), from: Self.state(.executed))
        activity.count(begun, at: Self.t0 + 10)
        #expect(activity.rollbackRate(at: Self.t0 + 10) == 0)
        activity.count(try Self.step(.rollbackFinished(.rolledBack), from: begun.state), at: Self.t0 + 20)
        #expect(activity.rollbackRate(at: Self.t0 + 20) == 0.25)
        // A refused rollback moves rolling_back → executed: the change stands, it is not executed again.
        activity.count(try Self.step(.rollbackFinished(.refused("changed since")), from: begun.state), at: Self.t0 + 30)
        #expect(activity.executedInLastHour(at: Self.t0 + 30) == 4)
        #expect(activity.rollbackRate(at: Self.t0 + 30) == 0.25)
    }

    @Test("the hour slides: what is older than an hour no longer counts")
    func theWindowSlides() {
        var activity = SystemActivity()
        activity.recordExecuted(at: Self.t0, count: 2)
        activity.recordRolledBack(at: Self.t0, count: 1)
        #expect(activity.rollbackRate(at: Self.t0 + 59 * 60) == 0.5)
        activity.recordExecuted(at: Self.t0 + 30 * 60, count: 2)
        #expect(activity.rollbackRate(at: Self.t0 + 59 * 60) == 0.25)
        // An hour after the first minute, only the later executions are in the window.
        #expect(activity.rollbackRate(at: Self.t0 + 60 * 60) == 0)
        #expect(activity.executedInLastHour(at: Self.t0 + 60 * 60) == 2)
        #expect(activity.executedInLastHour(at: Self.t0 + 90 * 60) == 0)
    }

    @Test("a rollback of a change executed more than an hour ago caps the rate at 1")
    func theRateIsCapped() {
        var activity = SystemActivity()
        activity.recordExecuted(at: Self.t0)
        activity.recordRolledBack(at: Self.t0, count: 3)
        #expect(activity.rollbackRate(at: Self.t0) == 1)
        // Nothing executed in the hour: 0, whatever was rolled back.
        var none = SystemActivity()
        none.recordRolledBack(at: Self.t0)
        #expect(none.rollbackRate(at: Self.t0) == 0)
    }

    @Test("a window seeded with counts equals one fed event by event")
    func seedingByCountMatchesEvents() {
        var seeded = RateWindow.hour()
        var fed = RateWindow.hour()
        for (minute, count) in [(0, 3), (5, 1), (59, 7)] {
            seeded.record(at: Self.t0 + Int64(minute * 60), count: count)
            for _ in 0..<count { fed.record(at: Self.t0 + Int64(minute * 60)) }
        }
        for offset in stride(from: Int64(0), through: 7200, by: 60) {
            #expect(seeded.count(at: Self.t0 + offset) == fed.count(at: Self.t0 + offset))
        }
        #expect(seeded.count(at: Self.t0 + 59 * 60) == 11)
    }

    @Test("the open reviews set from the store's count: changed or not, never below zero")
    func openReviewsFromTheStore() {
        var activity = SystemActivity(openReviews: 2)
        let raised = activity.setOpenReviews(5)
        #expect(raised && activity.openReviews == 5)
        let same = activity.setOpenReviews(5)
        #expect(!same)
        let cleared = activity.setOpenReviews(-1)
        #expect(cleared && activity.openReviews == 0)
        #expect(activity.systemState(freeze: false, at: Self.t0).queueDepth == 0)
    }
}
