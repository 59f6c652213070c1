import NIOCore

/// An actor whose executor is one NIO event loop: code isolated to it runs on the thread that
/// reads the connection's answers.
///
/// A group commit is a chain of round trips on one connection. Run from the cooperative pool,
/// each answer would wait for a pool thread behind every request the server is handling (on two
/// busy cores, 1–4 ms a round trip); isolated here, the code after each answer runs on the event
/// loop as soon as the answer is read. The functions on that path are
/// `nonisolated(nonsending)`, so that they stay on it (postgres-nio's own are too).
actor EventLoopBound {
    private let executor: any SerialExecutor
    nonisolated let unownedExecutor: UnownedSerialExecutor

    init(_ loop: any EventLoop) {
        executor = loop.executor
        unownedExecutor = executor.asUnownedSerialExecutor()
    }

    /// Runs `body` isolated to this actor, on the event loop.
    func run<T: Sendable>(_ body: @Sendable (isolated EventLoopBound) async throws -> T) async throws -> T {
        try await body(self)
    }
}
