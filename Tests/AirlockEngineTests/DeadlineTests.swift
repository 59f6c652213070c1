import AirlockCore
import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import GRDB
import Testing

/// Review deadlines on an injected clock: a day of SLAs in milliseconds. The example pack's high
/// tier is due in 1h, escalates to `duty-managers` with a new hour, then rejects; its medium tier
/// is due in 4h and then closes unreviewed.
@Suite("Review deadlines", .sharedResources)
struct DeadlineTests {
    typealias Fixture = LifecycleEffectsTests.Fixture
    static let agent = LifecycleEffectsTests.agent
    static let bob = LifecycleEffectsTests.bob
    static let carol = LifecycleEffectsTests.carol
    static let largeTransfer = LifecycleEffectsTests.largeTransfer
    static let emailEdit = #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"email":"new@example.com"}}"#

    static func clock(_ gateway: Gateway) throws -> ManualClock {
        try #require(gateway.clock as? ManualClock)
    }

    static func review(_ fixture: Fixture, _ id: String) async throws -> ReviewRecord {
        try #require(try await fixture.store.reviews(mutationID: id).last)
    }

    @Test("SLA breach escalates with a new deadline; the second breach rejects, unexecuted")
    func breachEscalateReject() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        let opened = clock.now()
        let id = try await fixture.submit(Self.largeTransfer).id
        #expect(try await Self.review(fixture, id).deadline == opened.addingTimeInterval(3_600))
        #expect(try await fixture.store.nextReviewDeadline() == opened.addingTimeInterval(3_600))

        clock.advance(by: 3_599)
        #expect(try await fixture.gateway.settleDueDeadlines() == 0)
        clock.advance(by: 1)
        #expect(try await fixture.gateway.settleDueDeadlines() == 1)
        let escalated = try await Self.review(fixture, id)
        #expect(escalated.status == .open && escalated.escalations == 1)
        #expect(escalated.groups.map(\.pool) == ["duty-managers"])
        #expect(escalated.deadline == opened.addingTimeInterval(7_200))
        #expect(try await fixture.gateway.view(of: id)?.status == .pendingReview)
        let audit = try await fixture.store.auditRecords(mutationID: id)
        #expect(audit.contains { $0.kind == .escalated && $0.actor == "airlock" && $0.payload.contains("duty-managers") })

        // The old reviewers no longer may vote; nothing more happens before the new deadline.
        await #expect(throws: GatewayError.self) { try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.bob) }
        clock.advance(by: 3_599)
        #expect(try await fixture.gateway.settleDueDeadlines() == 0)
        clock.advance(by: 1)
        #expect(try await fixture.gateway.settleDueDeadlines() == 1)
        let view = try #require(try await fixture.gateway.view(of: id))
        #expect(view.status == .rejected)
        #expect(try await Self.review(fixture, id).status == .expired)
        #expect(try await fixture.store.executedChange(mutationID: id) == nil)
        #expect(try await fixture.store.nextReviewDeadline() == nil)
        let expired = try await fixture.store.auditRecords(mutationID: id).filter { $0.kind == .expired }
        #expect(expired.count == 1 && expired[0].payload.contains(#""on_timeout":"reject""#))
    }

    @Test("an approval just before the deadline executes, and the deadline then does nothing")
    func approvalJustBefore() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        let id = try await fixture.submit(Self.largeTransfer).id
        clock.advance(by: 3_599)
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.bob)
        let view = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.carol)
        #expect(view.status == .executed)
        clock.advance(by: 10)
        #expect(try await fixture.gateway.settleDueDeadlines() == 0)
        #expect(try await fixture.gateway.view(of: id)?.status == .executed)
        #expect(try await Self.review(fixture, id).status == .approved)
    }

    @Test("a medium review that times out closes unreviewed; the executed change stays")
    func mediumUnreviewed() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        let submitted = try await fixture.submit(Self.emailEdit)
        try #require(submitted.tier == "medium")
        #expect(submitted.status == .executed)
        clock.advance(by: 4 * 3_600)
        #expect(try await fixture.gateway.settleDueDeadlines() == 1)
        #expect(try await Self.review(fixture, submitted.id).status == .unreviewed)
        #expect(try await fixture.gateway.view(of: submitted.id)?.status == .executed)
        #expect(try fixture.demo.row("customers", "cus-42")?["email"] == "new@example.com".databaseValue)
    }

    @Test("the service sleeps until the earliest deadline, wakes for a new review, and acts on its own")
    func serviceWakes() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        let gateway = fixture.gateway
        let service = Task { try await DeadlineService(gateway: gateway).run() }
        defer { service.cancel() }
        // Idle: no deadline, so nothing sleeps on the clock (a polling loop would). Give the
        // service time to run its first round before looking.
        try await Task.sleep(for: .milliseconds(300))
        #expect(clock.sleeping == 0, "the idle service sleeps on a timer")
        let id = try await fixture.submit(Self.largeTransfer).id
        try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
        clock.advance(by: 3_600)
        try await WebhookDeliveryTests.eventually(10) { try await Self.review(fixture, id).escalations == 1 }
        clock.advance(by: 3_600)
        try await WebhookDeliveryTests.eventually(10) { try await fixture.gateway.view(of: id)?.status == .rejected }
    }

    @Test("a deadline that passes while the service settles another is acted on, not slept past")
    func deadlinePassingDuringARound() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        // A medium review due at 4h, then a high one due at 4h30.
        let medium = try await fixture.submit(Self.emailEdit)
        try #require(medium.tier == "medium")
        clock.advance(by: 3.5 * 3_600)
        let high = try await fixture.submit(Self.largeTransfer).id
        // Right after the medium review closes (a commit that wakes nobody), an hour passes: the
        // high review's deadline is already behind when the service looks for the next one. It
        // used to read the time only then, find the passed deadline, take it for one it had
        // failed to settle, and sleep 5 s of a clock that then stood still.
        fixture.store.afterEachCommit { change in
            let closesMedium = change.operations.contains { operation in
                if case .closeReview(_, .unreviewed, _) = operation { return true }
                return false
            }
            if closesMedium { clock.advance(by: 3_600) }
        }
        let gateway = fixture.gateway
        let service = Task { try await DeadlineService(gateway: gateway).run() }
        defer { service.cancel() }
        try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
        clock.advance(by: 0.5 * 3_600)
        try await WebhookDeliveryTests.eventually(10) { try await Self.review(fixture, high).escalations == 1 }
    }

    @Test("restart between breach and escalation: the new gateway acts on the passed deadline at start")
    func restartBetweenBreachAndEscalation() async throws {
        let fixture = try await Fixture()
        let clock = try Self.clock(fixture.gateway)
        let id = try await fixture.submit(Self.largeTransfer).id
        // The deadline passes while nobody runs the service (the server is down).
        clock.advance(by: 5_400)
        try await fixture.store.close()
        let later = ManualClock(clock.now())
        let (restarted, store) = try await Fixture.open(
            state: fixture.state, demo: fixture.demo, customers: fixture.customers, clock: later)
        let service = Task { try await DeadlineService(gateway: restarted).run() }
        defer { service.cancel() }
        try await WebhookDeliveryTests.eventually(10) {
            try await store.reviews(mutationID: id).last?.escalations == 1
        }
        // Due one SLA after the escalation, which happened at restart.
        #expect(try await store.reviews(mutationID: id).last?.deadline == later.now().addingTimeInterval(3_600))
    }
}

/// Separation of duties along owner chains, through the gateway: the 403 says why, and the queue
/// does not offer what one may not vote on.
@Suite("Separation of duties", .sharedResources)
struct SeparationOfDutiesTests {
    typealias Fixture = LifecycleEffectsTests.Fixture

    @Test("an agent's owner, and that owner's owner, can neither approve nor reject its mutation, nor see it queued")
    func ownersCannotVote() async throws {
        let fixture = try await Fixture()
        let gateway = fixture.gateway
        let id = try await gateway.submit(try Value(json: LifecycleEffectsTests.largeTransfer), by: LifecycleEffectsTests.bot).view.id
        for (owner, approve) in [(LifecycleEffectsTests.olga, true), (LifecycleEffectsTests.pete, false)] {
            do {
                _ = try await gateway.vote(on: id, approve: approve, note: "mine", by: owner)
                Issue.record("\(owner.id) voted on its own agent's mutation")
            } catch {
                #expect(error.kind == .forbidden)
                #expect(error.detail.contains("accountable for 'bot-3'"), "\(error.detail)")
            }
            #expect(try await !gateway.openReviews(for: owner).contains { $0.view.id == id })
        }
        #expect(try await gateway.openReviews(for: LifecycleEffectsTests.bob).contains { $0.view.id == id })
        _ = try await gateway.vote(on: id, approve: true, note: nil, by: LifecycleEffectsTests.bob)
        let view = try await gateway.vote(on: id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
        #expect(view.status == .executed)
    }

    @Test("owner chains: nearest first, ending at an owner that is not a principal; a loop is cut where it repeats")
    func chains() throws {
        var directory = PrincipalDirectory()
        directory.addWithoutKey(Principal(id: "a", kind: .agent, roles: [], owner: "b"))
        directory.addWithoutKey(Principal(id: "b", kind: .human, roles: [], owner: "c"))
        directory.addWithoutKey(Principal(id: "x", kind: .agent, roles: [], owner: "y"))
        directory.addWithoutKey(Principal(id: "y", kind: .agent, roles: [], owner: "x"))
        #expect(directory.ownerChain(of: "a") == ["b", "c"])
        #expect(directory.ownerChain(of: "b") == ["c"])
        #expect(directory.ownerChain(of: "c").isEmpty)
        #expect(directory.ownerChain(of: "x") == ["y", "x"])
    }
}
