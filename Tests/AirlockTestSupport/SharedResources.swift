import Synchronization
import Testing

/// Bounds how many tests of the marked suites run at once.
///
/// Swift Testing starts every test of the run at the same time. Each server test holds a store
/// (several SQLite connections, each a database and a log file) and sockets, and a whole run once
/// held over 2,000 file descriptors at its peak. Past about 1,360, Foundation's `Process.run`
/// (which lists `/proc/self/fd` to close them in the child) reads past the end of its directory
/// buffer, and the suite crashed with signal 11 when that buffer ended a heap. The suites that
/// open stores and servers take a slot per test, so the run stays far below that.
public struct SharedResources: SuiteTrait, TestTrait, TestScoping {
    /// Tests of marked suites running at once.
    public static let width = 12

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // The suite itself passes through; each of its test cases takes a slot, unless it runs
        // inside one already (a test that holds a slot never waits for a second).
        guard testCase != nil, !Slots.holding else { return try await function() }
        await Slots.shared.acquire()
        defer { Slots.shared.release() }
        try await Slots.$holding.withValue(true) { try await function() }
    }
}

extension Trait where Self == SharedResources {
    /// Runs the suite's tests at most ``SharedResources/width`` at a time across all marked
    /// suites: for tests that open stores or servers.
    public static var sharedResources: SharedResources { SharedResources() }
}

/// A counting semaphore for tasks, first come first served.
final class Slots: Sendable {
    static let shared = Slots(SharedResources.width)
    @TaskLocal static var holding = false

    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(free: count)) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
