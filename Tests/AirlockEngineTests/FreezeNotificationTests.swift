import AirlockCore
import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

@testable import AirlockEngine

/// The freeze tells the webhook targets: a `freeze_changed` event is written in the commit that
/// sets the freeze, beside its audit record, and reaches a receiver on loopback.
@Suite("Freeze notifications", .serialized, .sharedResources)
struct FreezeNotificationTests {
    typealias Fixture = WebhookDeliveryTests.Fixture
    static let root = LifecycleEffectsTests.root

    @Test("freezing and thawing each send freeze_changed, committed with the freeze and its audit record")
    func freezeAndThaw() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [WebhookDeliveryTests.target(receiver, events: [.freezeChanged])])
        try await fixture.delivering {
            _ = try await fixture.gateway.setFreeze(true, reason: "incident 42", by: Self.root)
            _ = try await fixture.gateway.setFreeze(false, reason: nil, by: Self.root)
            // A delivery that failed under load is retried after its backoff on the gateway's
            // clock: time moves on while the test waits, as it would for a real server.
            try await WebhookDeliveryTests.eventually(30) {
                if await receiver.accepted.count == 2 { return true }
                fixture.clock.advance(by: 1)
                return false
            }
        }
        let got = await receiver.accepted
        #expect(got.map(\.kind) == ["freeze_changed", "freeze_changed"])
        #expect(got.map(\.text) == ["Freeze on by root: incident 42", "Freeze lifted by root"])
        #expect(got.map { $0.body["freeze"] as? Bool } == [true, false])
        #expect(got.map { $0.body["actor"] as? String } == ["root", "root"])
        #expect(got[0].body["detail"] as? String == "incident 42" && got[1].body["detail"] == nil)
        #expect(got.allSatisfy { $0.signatureValid })
        // One commit each: the freeze, its audit record and the event together.
        let commits = fixture.recorded.changes.filter { $0.summary.contains { $0.hasPrefix("setFreeze") } }
        #expect(
            commits.map(\.summary) == [
                ["setFreeze(true)", "notify(freeze_changed)"], ["setFreeze(false)", "notify(freeze_changed)"],
            ])
        await receiver.stop()
    }

    @Test("a freeze refused (no reason) sends nothing")
    func refusedFreezeSendsNothing() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [WebhookDeliveryTests.target(receiver)])
        await #expect(throws: GatewayError.self) { try await fixture.gateway.setFreeze(true, reason: " ", by: Self.root) }
        #expect(fixture.recorded.changes.allSatisfy { !$0.summary.contains("notify(freeze_changed)") })
        await receiver.stop()
    }
}
