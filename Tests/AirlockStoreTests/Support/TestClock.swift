import Foundation
import Synchronization

/// A wall clock that moves only when a test moves it.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_764_000_000)) {
        current = Mutex(start)
    }

    var now: Date {
        current.withLock { $0 }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    /// The clock as the store takes it.
    var reading: @Sendable () -> Date {
        { [self] in self.now }
    }
}
