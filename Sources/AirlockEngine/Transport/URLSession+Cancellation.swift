import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension URLSession {
    /// `data(for:)` whose cancellation cannot hang or crash the process.
    ///
    /// On Linux, FoundationNetworking cannot cancel a transfer safely at every moment:
    /// - its own `data(for:)` cancels from inside the task's cancellation handler with a
    ///   synchronous hop onto the session's queue, holding the task's status lock; a transfer
    ///   completing at that moment needs the same lock to resume the caller, and both wait
    ///   forever (a test run hung when a webhook delivery service stopped mid-delivery);
    /// - `URLSessionTask.cancel()` just after the transfer completed traps ("a task that is not
    ///   in the registry").
    ///
    /// So a cancelled caller is answered at once with `URLError(.cancelled)` and the transfer is
    /// left to end by itself (every request here has a timeout); its answer is then dropped.
    public func cancellableData(for request: URLRequest) async throws -> (Data, URLResponse) {
        let caller = Caller()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard caller.wait(continuation) else { return }
                dataTask(with: request) { data, response, error in
                    if let error {
                        caller.answer(.failure(error))
                    } else if let response {
                        caller.answer(.success((data ?? Data(), response)))
                    } else {
                        caller.answer(.failure(URLError(.badServerResponse)))
                    }
                }.resume()
            }
        } onCancel: {
            caller.answer(.failure(URLError(.cancelled)))
        }
    }

    /// The caller of one transfer, answered once: by the transfer or by its cancellation,
    /// whichever comes first.
    private final class Caller: Sendable {
        typealias Outcome = Result<(Data, URLResponse), any Error>
        private enum State {
            case idle
            case waiting(CheckedContinuation<(Data, URLResponse), any Error>)
            case answered(Outcome)
            case done
        }
        private let state = Mutex(State.idle)

        /// Starts waiting; false (and `continuation` resumed) when already answered, as when
        /// the caller was cancelled before the transfer began.
        func wait(_ continuation: CheckedContinuation<(Data, URLResponse), any Error>) -> Bool {
            let early: Outcome? = state.withLock { state in
                if case .answered(let outcome) = state {
                    state = .done
                    return outcome
                }
                state = .waiting(continuation)
                return nil
            }
            guard let early else { return true }
            continuation.resume(with: early)
            return false
        }

        func answer(_ outcome: Outcome) {
            let waiter: CheckedContinuation<(Data, URLResponse), any Error>? = state.withLock { state in
                switch state {
                case .idle:
                    state = .answered(outcome)
                    return nil
                case .waiting(let continuation):
                    state = .done
                    return continuation
                case .answered, .done:
                    return nil
                }
            }
            waiter?.resume(with: outcome)
        }
    }
}
