import Foundation
import Synchronization
import Testing

@testable import AirlockEngine

/// The wall clock's waits: a long wait is made of short naps, so a cancelled one does not keep
/// its timer for hours (the runtime frees a cancelled `Task.sleep` only at its deadline).
@Suite struct SystemClockTests {
    /// Records each nap asked for; stops the wait after `stopAfter` naps, or really sleeps.
    final class Naps: Sendable {
        let asked = Mutex<[TimeInterval]>([])
        let stopAfter: Int?

        init(stopAfter: Int?) {
            self.stopAfter = stopAfter
        }

        func nap(_ seconds: TimeInterval) async throws {
            let count = asked.withLock { asked in
                asked.append(seconds)
                return asked.count
            }
            if count == stopAfter { throw CancellationError() }
            if stopAfter == nil { try await Task.sleep(for: .nanoseconds(Int64(seconds * 1_000_000_000))) }
        }
    }

    @Test func aWaitOfAnHourAsksTheRuntimeForNoSleepLongerThanANap() async throws {
        let naps = Naps(stopAfter: 5)
        let clock = SystemClock(nap: naps.nap)
        await #expect(throws: CancellationError.self) {
            try await clock.sleep(until: Date().addingTimeInterval(3600))
        }
        let asked = naps.asked.withLock { $0 }
        #expect(asked.count == 5)
        #expect(asked.allSatisfy { $0 > 0 && $0 <= SystemClock.longestNap }, "naps asked: \(asked)")
    }

    @Test func aShortWaitIsOneNapOfItsLength() async throws {
        let naps = Naps(stopAfter: nil)
        let clock = SystemClock(nap: naps.nap)
        let start = Date()
        try await clock.sleep(until: start.addingTimeInterval(0.05))
        let asked = naps.asked.withLock { $0 }
        #expect(asked.first.map { $0 <= 0.05 && $0 > 0.03 } == true, "naps asked: \(asked)")
    }

    @Test func theRealClockWaitsUntilTheDeadlineAcrossNaps() async throws {
        let clock = SystemClock()
        let start = Date()
        try await clock.sleep(for: 1.3)
        #expect(Date().timeIntervalSince(start) >= 1.3)
    }

    @Test func aCancelledWaitEndsAtOnce() async throws {
        let clock = SystemClock()
        let start = Date()
        let wait = Task { try await clock.sleep(for: 3600) }
        try await Task.sleep(for: .milliseconds(50))
        wait.cancel()
        await #expect(throws: CancellationError.self) { try await wait.value }
        #expect(Date().timeIntervalSince(start) < 60)
    }
}
