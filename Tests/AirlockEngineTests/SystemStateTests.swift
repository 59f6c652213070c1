import AirlockCore
import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

/// `system.*` is live: the freeze is kept in the store and audited, and the open reviews and the
/// last hour's rollback rate follow what the gateway commits — and come back after a restart.
@Suite("System state", .sharedResources)
struct SystemStateTests {
    typealias Fixture = LifecycleEffectsTests.Fixture
    static let agent = LifecycleEffectsTests.agent
    static let bob = LifecycleEffectsTests.bob
    static let carol = LifecycleEffectsTests.carol
    static let root = LifecycleEffectsTests.root

    /// A gateway on `state` and `clock`, with the demo executors.
    static func open(_ state: TemporaryDirectory, _ demo: DemoFixture, _ clock: ManualClock) async throws
        -> (Gateway, RecordingStore)
    {
        try await Fixture.open(state: state, demo: demo, customers: demo.executor("crm.customer"), clock: clock)
    }

    static func submit(_ json: String, to gateway: Gateway) async throws -> MutationView {
        try await gateway.submit(try Value(json: json), by: agent).view
    }

    @Test("a freeze is audited, in force at once, and still in force after a restart; a thaw ends it")
    func freezeSurvivesARestart() async throws {
        let demo = try DemoFixture()
        let state = try TemporaryDirectory()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_767_693_600))
        let (gateway, store) = try await Self.open(state, demo, clock)
        #expect(gateway.system.freeze == false)

        let view = try await gateway.setFreeze(true, reason: "  payments incident ", by: Self.root)
        #expect(view.state.freeze && gateway.system.freeze)
        #expect(view.freeze == FreezeRecord(on: true, reason: "payments incident", since: clock.now(), by: "root"))
        let freezes = try await store.auditRecords(after: 0, limit: 1000).filter { $0.kind == .freezeChanged }
        #expect(freezes.map(\.actor) == ["root"])
        #expect(freezes.first?.payload == #"{"on":true,"reason":"payments incident"}"#)
        // The next decision sees it: an agent's low-tier change now waits for a person.
        #expect(try await Self.submit(LifecycleEffectsTests.notes, to: gateway).status == .pendingReview)
        try await store.close()

        clock.advance(by: 60)
        let (restarted, again) = try await Self.open(state, demo, clock)
        #expect(restarted.system.freeze)
        let shown = restarted.systemView(for: Self.agent)
        #expect(shown.freeze?.by == "root" && shown.freeze?.reason == "payments incident")
        #expect(shown.freeze?.since == clock.now().addingTimeInterval(-60))

        _ = try await restarted.setFreeze(false, reason: nil, by: Self.root)
        #expect(restarted.system.freeze == false)
        #expect(try await Self.submit(LifecycleEffectsTests.notes, to: restarted).status == .executed)
        try await again.close()
        let (thawed, last) = try await Self.open(state, demo, clock)
        #expect(thawed.system.freeze == false)
        #expect(thawed.systemView(for: Self.agent).freeze?.on == false)
        try await last.close()
    }

    @Test("only an admin may freeze; a freeze needs a reason; a refusal changes nothing")
    func freezeIsAdminOnly() async throws {
        let fixture = try await Fixture()
        for principal in [Self.agent, Self.bob] {
            let error = await #expect(throws: GatewayError.self) {
                _ = try await fixture.gateway.setFreeze(true, reason: "incident", by: principal)
            }
            #expect(error?.kind == .forbidden)
            #expect(error?.detail.contains("admin") == true)
        }
        for reason in [nil, "", "   "] as [String?] {
            let error = await #expect(throws: GatewayError.self) {
                _ = try await fixture.gateway.setFreeze(true, reason: reason, by: Self.root)
            }
            #expect(error?.kind == .badRequest)
            #expect(error?.errors.map(\.path) == ["reason"])
        }
        #expect(fixture.gateway.system.freeze == false)
        #expect(try await fixture.store.freeze() == nil)
        #expect(try await fixture.store.auditRecords(after: 0, limit: 1000).allSatisfy { $0.kind != .freezeChanged })
    }

    @Test("queue_depth counts the open reviews as they open and close, and is seeded on restart")
    func queueDepthFollowsReviews() async throws {
        let demo = try DemoFixture()
        let state = try TemporaryDirectory()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_767_693_600))
        let (gateway, store) = try await Self.open(state, demo, clock)
        #expect(gateway.system.queueDepth == 0)
        let first = try await Self.submit(LifecycleEffectsTests.largeTransfer, to: gateway)
        let second = try await Self.submit(LifecycleEffectsTests.largeTransfer, to: gateway)
        #expect(first.status == .pendingReview && second.status == .pendingReview)
        #expect(gateway.system.queueDepth == 2)
        // A low-tier change opens nothing.
        _ = try await Self.submit(LifecycleEffectsTests.notes, to: gateway)
        #expect(gateway.system.queueDepth == 2)
        // One vote of two leaves the review open; the second closes it.
        _ = try await gateway.vote(on: first.id, approve: true, note: nil, by: Self.bob)
        #expect(gateway.system.queueDepth == 2)
        _ = try await gateway.vote(on: first.id, approve: true, note: nil, by: Self.carol)
        #expect(gateway.system.queueDepth == 1)
        // A rejection closes a review too.
        _ = try await gateway.vote(on: second.id, approve: false, note: "no", by: Self.bob)
        #expect(gateway.system.queueDepth == 0)
        _ = try await Self.submit(LifecycleEffectsTests.largeTransfer, to: gateway)
        #expect(gateway.system.queueDepth == 1)
        try await store.close()

        let (restarted, again) = try await Self.open(state, demo, clock)
        #expect(restarted.system.queueDepth == 1)
        try await again.close()
    }

    @Test("decisions read system.* from memory: the store's system reads run at start-up and after a freeze only")
    func noStoreReadPerDecision() async throws {
        let fixture = try await Fixture()
        let atStart = fixture.store.systemReads
        #expect(atStart > 0)
        let high = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        _ = try await fixture.submit(LifecycleEffectsTests.notes)
        _ = try await fixture.gateway.vote(on: high.id, approve: false, note: "no", by: Self.bob)
        _ = fixture.gateway.system
        #expect(fixture.store.systemReads == atStart)
        _ = try await fixture.gateway.setFreeze(true, reason: "incident", by: Self.root)
        #expect(fixture.store.systemReads == atStart + 1)
    }

    @Test("rollback_rate_1h is rolled back over executed in the last hour, seeded on restart, and slides")
    func rollbackRateFollowsExecutions() async throws {
        let demo = try DemoFixture()
        let state = try TemporaryDirectory()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_767_693_600))
        let (gateway, store) = try await Self.open(state, demo, clock)
        var executed: [String] = []
        for _ in 0..<4 {
            let view = try await Self.submit(LifecycleEffectsTests.notes, to: gateway)
            #expect(view.status == .executed)
            executed.append(view.id)
        }
        #expect(gateway.system.rollbackRate1h == 0)
        clock.advance(by: 120)
        let back = try await gateway.rollback(executed[3], note: "wrong customer", by: Self.root)
        #expect(back.status == .rolledBack)
        #expect(gateway.system.rollbackRate1h == 0.25)
        try await store.close()

        clock.advance(by: 60)
        let (restarted, again) = try await Self.open(state, demo, clock)
        #expect(restarted.system.rollbackRate1h == 0.25)
        // An hour after the executions they leave the window: nothing executed, rate 0.
        clock.advance(by: 3600)
        #expect(restarted.system.rollbackRate1h == 0)
        try await again.close()
    }
}
