import AirlockCore
import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

@testable import AirlockEngine

/// `review_due_soon` on an injected clock: the deadline service announces each review deadline
/// once, a quarter of the SLA (at most 15 minutes) before it; an escalation's new deadline gets its
/// own event; a restart or a second instance does not send it again; the loop sleeps between.
@Suite("Review due soon", .serialized, .sharedResources)
struct DueSoonTests {
    typealias Fixture = WebhookDeliveryTests.Fixture
    static let largeTransfer = LifecycleEffectsTests.largeTransfer

    /// The outbox's `review_due_soon` event ids of a mutation.
    static func announcements(_ fixture: Fixture, _ id: String) async throws -> [String] {
        try await fixture.store.notificationDeliveries(mutationID: id).filter { $0.kind == "review_due_soon" }.map(\.eventID)
    }

    /// How many commits enqueued a `review_due_soon` event.
    static func announcingCommits(_ fixture: Fixture) -> Int {
        fixture.recorded.changes.count { $0.summary.contains("notify(review_due_soon)") }
    }

    /// Runs the deadline service until `body` returns.
    static func running<T: Sendable>(_ gateway: Gateway, _ body: () async throws -> T) async throws -> T {
        let service = Task { try await DeadlineService(gateway: gateway).run() }
        defer { service.cancel() }
        let result = try await body()
        service.cancel()
        _ = await service.result
        return result
    }

    @Test("the lead is a quarter of the SLA, at most 15 minutes")
    func lead() {
        #expect(Gateway.dueSoonLead(slaSeconds: 120) == 30)
        #expect(Gateway.dueSoonLead(slaSeconds: 3_600) == 900)
        #expect(Gateway.dueSoonLead(slaSeconds: 4 * 3_600) == 900)
        #expect(Gateway.dueSoonLead(slaSeconds: 0) == 0)
    }

    @Test("announced once at deadline − lead, not before; the escalated deadline gets its own; the loop sleeps between")
    func onceAtLead() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [WebhookDeliveryTests.target(receiver, events: [.reviewDueSoon])])
        let clock = fixture.clock
        let id = try await fixture.submit(Self.largeTransfer).id
        let review = try #require(try await fixture.store.reviews(mutationID: id).last)
        try await Self.running(fixture.gateway) {
            // High tier: 1h SLA, so announced 15 minutes before; until then the service sleeps.
            try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
            clock.advance(by: 45 * 60 - 1)
            try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
            #expect(try await Self.announcements(fixture, id).isEmpty)
            clock.advance(by: 1)
            try await WebhookDeliveryTests.eventually(10) { try await Self.announcements(fixture, id) == ["due_soon_\(review.id)_0"] }
            // Then it sleeps until the deadline: no second event, no spinning.
            try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
            let commits = fixture.recorded.changes.count
            try await Task.sleep(for: .milliseconds(200))
            #expect(fixture.recorded.changes.count == commits && clock.sleeping == 1)
            clock.advance(by: 10 * 60)
            try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
            #expect(Self.announcingCommits(fixture) == 1)

            // The deadline passes: escalated, with a new hour; announced again 15 minutes before it.
            clock.advance(by: 5 * 60)
            try await WebhookDeliveryTests.eventually(10) {
                try await fixture.store.reviews(mutationID: id).last?.escalations == 1
            }
            try await WebhookDeliveryTests.eventually(10) { clock.sleeping == 1 }
            #expect(Self.announcingCommits(fixture) == 1)
            clock.advance(by: 45 * 60)
            try await WebhookDeliveryTests.eventually(10) {
                try await Self.announcements(fixture, id) == ["due_soon_\(review.id)_0", "due_soon_\(review.id)_1"]
            }
        }
        #expect(Self.announcingCommits(fixture) == 2)
        try await fixture.delivering {
            try await WebhookDeliveryTests.eventually { await receiver.accepted.count == 2 }
        }
        // Delivered concurrently: in the order of the deadlines they announce.
        let got = await receiver.accepted.sorted { ($0.body["escalations"] as? Int ?? 0) < ($1.body["escalations"] as? Int ?? 0) }
        #expect(got.allSatisfy { $0.kind == "review_due_soon" && $0.signatureValid })
        #expect(got.map { $0.body["review_id"] as? String } == [review.id, review.id])
        #expect(got.map { $0.body["escalations"] as? Int } == [0, 1])
        #expect(got.map { $0.body["seconds_left"] as? Int } == [900, 900])
        #expect(got[0].text.hasPrefix("Due soon: the review of create of payments.transfer by agent-7 (\(id)) is due at "))
        #expect(got[0].text.hasSuffix("(in 15m); it needs 2 from finance"))
        #expect(got[1].body["detail"] as? String == "2 from duty-managers")
        #expect(got[0].body["deadline"] as? String == MutationView.format(try #require(review.deadline)))
        await receiver.stop()
    }

    @Test("after a restart (or on a second instance) a deadline already announced is not announced again")
    func notTwiceAfterRestart() async throws {
        let receiver = try await WebhookReceiver.start()
        let state = try TemporaryDirectory()
        let target = WebhookDeliveryTests.target(receiver, events: [.reviewDueSoon])
        let first = try await Fixture(targets: [target], state: state)
        let id = try await first.submit(Self.largeTransfer).id
        try await Self.running(first.gateway) {
            try await WebhookDeliveryTests.eventually(10) { first.clock.sleeping == 1 }
            first.clock.advance(by: 50 * 60)
            try await WebhookDeliveryTests.eventually(10) { try await Self.announcements(first, id).count == 1 }
        }
        try await first.store.close()

        let second = try await Fixture(targets: [target], state: state, clock: ManualClock(first.clock.now()))
        try await Self.running(second.gateway) {
            // The new service finds the review near its deadline; the outbox refuses the same id.
            try await WebhookDeliveryTests.eventually(10) { second.clock.sleeping == 1 }
            #expect(try await Self.announcements(second, id).count == 1)
            #expect(Self.announcingCommits(second) == 0)
            second.clock.advance(by: 60)
            try await WebhookDeliveryTests.eventually(10) { second.clock.sleeping == 1 }
            #expect(try await Self.announcements(second, id).count == 1)
        }
        await receiver.stop()
    }

    @Test("a review opened inside its lead (a short SLA) is announced at once")
    func insideLead() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [WebhookDeliveryTests.target(receiver, events: [.reviewDueSoon])])
        let id = try await fixture.submit(Self.largeTransfer).id
        // As after a restart 50 minutes later: the announcement is due, not the deadline.
        fixture.clock.advance(by: 50 * 60)
        try await Self.running(fixture.gateway) {
            try await WebhookDeliveryTests.eventually(10) { try await Self.announcements(fixture, id).count == 1 }
        }
        await receiver.stop()
    }
}
