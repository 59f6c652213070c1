import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import Testing

/// A parallel review rejected while its mutation is still being applied.
@Suite("Parallel review rejected during execution")
struct ParallelRejectionTests {
    /// An executor that waits at its first `apply` until the test opens the gate.
    final class GatedExecutor: Executor, @unchecked Sendable {
        let inner: any Executor
        private let lock = NSLock()
        private var reached: CheckedContinuation<Void, Never>?
        private var isReached = false
        private var gate: CheckedContinuation<Void, Never>?
        private var isOpen = false

        init(_ inner: any Executor) { self.inner = inner }

        var canRead: Bool { inner.canRead }
        func read(target: String) async -> CELMap? { await inner.read(target: target) }
        func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
            await inner.verify(request, change: change)
        }
        func rollback(_ change: ExecutedChange) async -> RollbackOutcome { await inner.rollback(change) }
        func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome { await inner.reconcile(request) }

        func apply(_ request: ExecutionRequest) async -> ExecutionOutcome {
            let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
                isReached = true
                defer { reached = nil }
                return reached
            }
            waiter?.resume()
            await withCheckedContinuation { continuation in
                let open = lock.withLock {
                    if !isOpen { gate = continuation }
                    return isOpen
                }
                if open { continuation.resume() }
            }
            return await inner.apply(request)
        }

        /// Returns once `apply` has been called.
        func waitUntilReached() async {
            await withCheckedContinuation { continuation in
                let already = lock.withLock {
                    if !isReached { reached = continuation }
                    return isReached
                }
                if already { continuation.resume() }
            }
        }

        func open() {
            let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
                isOpen = true
                defer { gate = nil }
                return gate
            }
            waiter?.resume()
        }
    }

    @Test("the change is rolled back once it has been applied")
    func rejectedWhileExecuting() async throws {
        let demo = try DemoFixture()
        let gated = GatedExecutor(demo.executor("crm.customer"))
        let state = try TemporaryDirectory()
        let store = try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: state.path)))
        var principals = PrincipalDirectory()
        let agent = Principal(id: "agent-7", kind: .agent, roles: [.submitter])
        let bob = Principal(id: "bob", kind: .human, roles: [.reviewer], pools: ["privacy"])
        try principals.add(agent, keySHA256: String(repeating: "a", count: 64))
        try principals.add(bob, keySHA256: String(repeating: "b", count: 64))
        let gateway = Gateway(
            store: store, principals: principals, clock: ManualClock(Date(timeIntervalSince1970: 1_767_693_600)),
            executors: Executors(["crm.customer": gated]))
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
        try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
        let emailBefore = try demo.row("customers", "cus-42")?["email"]

        let body = try Value(json: #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"email":"zoe@example.com"}}"#)
        let submission = Task { try await gateway.submit(body, by: agent) }
        await gated.waitUntilReached()
        let id = try #require(try await store.mutations(MutationQuery(statuses: [.executing], limit: 10)).first?.id)
        let rejected = try await gateway.vote(on: id, approve: false, note: "not asked for", by: bob)
        #expect(rejected.status == .executing)  // too early to roll back
        gated.open()
        _ = try await submission.value

        let final = try #require(try await gateway.view(of: id))
        #expect(final.status == .rolledBack, "\(final.status)")
        #expect(try demo.row("customers", "cus-42")?["email"] == emailBefore)
        try await store.close()
    }
}
