import AirlockCore
import Testing

/// Which webhook events a lifecycle step implies: a pure reading of its entries.
@Suite("Lifecycle notifications")
struct LifecycleNotificationTests {
    private func kinds(_ event: LifecycleEvent, in state: LifecycleState) throws -> [NotificationKind] {
        try Lifecycle.handle(event, in: state).notifications.map(\.kind)
    }

    private func reviewing(_ mode: ReviewMode, escalateTo: String? = nil, escalations: Int = 0, onTimeout: OnTimeout = .rollback)
        -> LifecycleState
    {
        var review = ReviewState(mode: mode, requirement: LifecycleTests.finance2, openedAt: LifecycleTests.now)
        review.escalateTo = escalateTo
        review.escalations = escalations
        review.onTimeout = onTimeout
        let status: MutationStatus = mode == .blocking ? .pendingReview : .executed
        return LifecycleState(status: status, submitter: "agent-7", executor: .airlock, reversible: true, review: review)
    }

    @Test("a decision by policy: decided (approved or rejected); a high tier opens a review and is not yet decided")
    func policyDecisions() throws {
        let received = LifecycleTests.state(.received)
        let low = try Lifecycle.handle(.decided(tier: .low, approvals: nil, at: LifecycleTests.now), in: received).notifications
        #expect(low == [StepNotification(kind: .decided, status: .approved, detail: "by policy")])
        #expect(try kinds(.decided(tier: .block, approvals: nil, at: LifecycleTests.now), in: received) == [.decided])
        #expect(try kinds(.invalid, in: received) == [.decided])
        let high = try Lifecycle.handle(.decided(tier: .high, approvals: LifecycleTests.finance2, at: LifecycleTests.now), in: received).notifications
        #expect(high == [StepNotification(kind: .reviewOpened, status: .pendingReview, detail: "blocking review: 2 from finance")])
        #expect(try kinds(.decided(tier: .medium, approvals: LifecycleTests.finance1, at: LifecycleTests.now), in: received) == [.decided, .reviewOpened])
    }

    @Test("a review's verdict is decided, at the status the verdict reached")
    func reviewVerdicts() throws {
        var state = reviewing(.blocking)
        state.review?.groups = [ApprovalGroup(pool: "finance", count: 1)]
        let approved = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: state)
        // The step goes on to executing; the event speaks of the approval.
        #expect(approved.moves.map(\.to) == [.approved, .executing])
        #expect(approved.notifications == [StepNotification(kind: .decided, status: .approved, detail: "by its reviewers")])
        #expect(try kinds(.voteCast(reviewer: "bob", approve: false, pools: ["finance"]), in: state) == [.decided])
        // A vote that settles nothing implies nothing.
        #expect(try kinds(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: reviewing(.blocking)) == [])
    }

    @Test("deadlines: escalated, then expired (blocking or parallel); never decided by a timeout")
    func deadlines() throws {
        let due = LifecycleTests.later
        let escalation = try Lifecycle.handle(.deadlinePassed(at: due), in: reviewing(.blocking, escalateTo: "finance-leads")).notifications
        #expect(escalation == [StepNotification(kind: .escalated, status: .pendingReview, detail: "2 from finance-leads")])
        #expect(try kinds(.deadlinePassed(at: due), in: reviewing(.blocking, escalateTo: "finance-leads", escalations: 1, onTimeout: .expire)) == [.expired])
        // on_timeout reject: the review expired and the mutation is rejected (decided).
        #expect(try kinds(.deadlinePassed(at: due), in: reviewing(.blocking, onTimeout: .reject)) == [.expired, .decided])
        // A parallel review that expires closes as expired and undoes the change; one that
        // closes unreviewed says so.
        #expect(try kinds(.deadlinePassed(at: due), in: reviewing(.parallel)) == [.expired])
        let unreviewed = try Lifecycle.handle(.deadlinePassed(at: due), in: reviewing(.parallel, onTimeout: .unreviewed)).notifications
        #expect(unreviewed == [StepNotification(kind: .expired, status: .executed, detail: "closed unreviewed; the change stays")])
    }

    @Test("execution: a mismatch is verification_failed; a finished rollback is rolled_back; the rest imply nothing")
    func execution() throws {
        let executing = LifecycleTests.state(.executing)
        let mismatch = try Lifecycle.handle(.executorFinished(.applied(.mismatch("amount is 5, not 6"))), in: executing)
        #expect(mismatch.notifications == [StepNotification(kind: .verificationFailed, status: .executed, detail: "amount is 5, not 6")])
        #expect(try kinds(.executorFinished(.applied(.matches)), in: executing) == [])
        #expect(try kinds(.executorFinished(.failed("503")), in: executing) == [])
        #expect(try kinds(.rollbackFinished(.rolledBack), in: LifecycleTests.state(.rollingBack)) == [.rolledBack])
        #expect(try kinds(.rollbackFinished(.refused("changed since")), in: LifecycleTests.state(.rollingBack)) == [])
        #expect(try kinds(.rollbackRequested(force: false), in: LifecycleTests.state(.executed)) == [])
    }

    @Test("every step of every (status, event) pair names each kind at most once")
    func atMostOnce() {
        for status in MutationStatus.allCases {
            for (_, event) in LifecycleTests.events {
                guard let step = try? Lifecycle.handle(event, in: LifecycleTests.state(status)) else { continue }
                let kinds = step.notifications.map(\.kind)
                #expect(Set(kinds).count == kinds.count, "\(status) \(event.name): \(kinds)")
            }
        }
    }
}
