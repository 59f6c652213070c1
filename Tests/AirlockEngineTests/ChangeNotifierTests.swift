import AirlockTestSupport
import Foundation
import Testing

@testable import AirlockEngine

@Suite struct ChangeNotifierTests {
    /// A long poll computes its deadline once; time that passes before it parks must not be added
    /// again. (Waiting "the seconds that remain", counted anew when parking, slept half a second
    /// past the deadline here, and a test whose clock moved in that gap waited forever.)
    @Test func aWaitParksUntilTheDeadlineItWasGivenWhateverTimePassedBefore() async throws {
        let clock = ManualClock()
        let notifier = ChangeNotifier(clock: clock)
        let ticket = notifier.register("m-1")
        let deadline = clock.now().addingTimeInterval(1)
        clock.advance(by: 0.5)  // the time between reading the mutation and parking
        let wait = Task { await notifier.wait(ticket, until: deadline) }
        try await WebhookDeliveryTests.eventually(30) { clock.isSleeping(until: deadline) }
        clock.advance(by: 0.5)
        #expect(await wait.value == false, "the deadline passed without a change")
        #expect(notifier.watching == 0)
    }

    @Test func aChangeBeforeTheDeadlineWakesTheWait() async throws {
        let clock = ManualClock()
        let notifier = ChangeNotifier(clock: clock)
        let ticket = notifier.register("m-1")
        let deadline = clock.now().addingTimeInterval(30)
        let wait = Task { await notifier.wait(ticket, until: deadline) }
        try await WebhookDeliveryTests.eventually(30) { clock.isSleeping(until: deadline) }
        notifier.announce("m-1")
        #expect(await wait.value == true)
        #expect(notifier.watching == 0)
        #expect(clock.sleeping == 0, "the timeout's sleep ended with the wait")
    }
}
