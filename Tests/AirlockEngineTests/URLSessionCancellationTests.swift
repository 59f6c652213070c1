import AirlockEngine
import Foundation
import Hummingbird
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `URLSession.cancellableData(for:)`: cancelling a caller never hangs, whatever the transfer is
/// doing at that moment.
@Suite struct URLSessionCancellationTests {
    /// Cancels requests at moments spread around their completion. FoundationNetworking's own
    /// `data(for:)` deadlocked here within a few hundred rounds: the caller then never returns,
    /// which the watchdog turns into a failure instead of a hung run.
    @Test func cancellingAroundCompletionNeverHangs() async throws {
        let router = Router()
        router.get("/quick") { _, _ in "ok" }
        let (port, server) = await Loopback.serve(router, label: "cancellation")
        defer { server.cancel() }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/quick")!)
        // How long a call takes here and now (the machine may be loaded): the cancellations are
        // spread from at once to twice that, so that both ends of the race are reached.
        var took: [Duration] = []
        for _ in 0..<5 {
            let started = ContinuousClock.now
            _ = try await session.cancellableData(for: request)
            took.append(ContinuousClock.now - started)
        }
        var span = max(took.sorted()[2] * 2, .microseconds(200))
        var completed = 0
        var cancelled = 0
        // A pass that reached only one end is run again with a wider (or narrower) spread.
        for pass in 0..<3 where completed == 0 || cancelled == 0 {
            if pass > 0 { span = completed == 0 ? span * 4 : span / 4 }
            for round in 0..<600 {
                let call = Task { try await session.cancellableData(for: request) }
                let delay = span * (Double((round * 37) % 600) / 600)
                try await Task.sleep(for: delay)
                call.cancel()
                let outcome = await Self.within(.seconds(10)) { await call.result }
                switch outcome {
                case nil:
                    Issue.record("round \(round): a cancelled call did not return within 10 s (cancelled after \(delay))")
                    return
                case .success(let (data, _))?:
                    #expect(String(decoding: data, as: UTF8.self) == "ok")
                    completed += 1
                case .failure(let error)?:
                    #expect((error as? URLError)?.code == .cancelled, "round \(round): \(error)")
                    cancelled += 1
                }
            }
        }
        // Both ends of the race were reached, or the test proved nothing.
        #expect(completed > 0 && cancelled > 0, "completed \(completed), cancelled \(cancelled)")
    }

    /// `body`'s result, or nil when it takes longer than `limit` (it is then left running).
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        let answer = Answer<T>()
        return await withCheckedContinuation { continuation in
            answer.waiting(continuation)
            Task { answer.give(await body()) }
            Task {
                try? await Task.sleep(for: limit)
                answer.give(nil)
            }
        }
    }

    /// The first of two answers, handed to whoever waits.
    final class Answer<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T?, Never>?>(nil)
        func waiting(_ waiter: CheckedContinuation<T?, Never>) { continuation.withLock { $0 = waiter } }
        func give(_ value: T?) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }
}
