import AirlockCore
import AirlockEngine
import AirlockTestSupport
import AirlockStore
import CEL
import Foundation
import Synchronization
import Testing

/// Execution interrupted: a parallel review rejected while the change is being applied, and a
/// rollback a crash cut short.
@Suite("Interrupted execution", .sharedResources)
struct InterruptedExecutionTests {
    /// An executor that waits at its first `apply` until the test opens the gate.
    final class GatedExecutor: Executor, @unchecked Sendable {
        let inner: any Executor
        private let lock = NSLock()
        private var reached: CheckedContinuation<Void, Never>?
        private var isReached = false
        private var gate: CheckedContinuation<Void, Never>?
        private var isOpen = false

        init(_ inner: any Executor) { self.inner = inner }

        var supportsBulk: Bool { inner.supportsBulk }
        var canRead: Bool { inner.canRead }
        func read(target: String) async -> CELMap? { await inner.read(target: target) }
        func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
            await inner.verify(request, change: change)
        }
        func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
            await inner.rollback(change, attempt: attempt)
        }
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

    static let agent = Principal(id: "agent-7", kind: .agent, roles: [.submitter])
    static let bob = Principal(id: "bob", kind: .human, roles: [.reviewer], pools: ["privacy"])

    /// A started gateway over a store in `state`, with the example pack and `crm.customer`'s executor.
    static func gateway(state: TemporaryDirectory, customers: any Executor) async throws -> (Gateway, SQLiteStore) {
        let store = try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: state.path)))
        var principals = PrincipalDirectory()
        try principals.add(agent, keySHA256: String(repeating: "a", count: 64))
        try principals.add(bob, keySHA256: String(repeating: "b", count: 64))
        let gateway = Gateway(
            store: store, principals: principals, clock: ManualClock(Date(timeIntervalSince1970: 1_767_693_600)),
            executors: Executors(["crm.customer": customers]))
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
        try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
        return (gateway, store)
    }

    @Test("the change is rolled back once it has been applied")
    func rejectedWhileExecuting() async throws {
        let demo = try DemoFixture()
        let gated = GatedExecutor(demo.executor("crm.customer"))
        let state = try TemporaryDirectory()
        let (gateway, store) = try await Self.gateway(state: state, customers: gated)
        let (agent, bob) = (Self.agent, Self.bob)
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

    @Test("a rejection that lands between the execution's read and its commit still rolls the change back")
    func rejectedBetweenTheExecutionsReadAndItsCommit() async throws {
        let demo = try DemoFixture()
        let state = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: state.path))))
        var principals = PrincipalDirectory()
        try principals.add(Self.agent, keySHA256: String(repeating: "a", count: 64))
        try principals.add(Self.bob, keySHA256: String(repeating: "b", count: 64))
        let gateway = Gateway(
            store: store, principals: principals, clock: ManualClock(Date(timeIntervalSince1970: 1_767_693_600)),
            executors: Executors(["crm.customer": demo.executor("crm.customer")]))
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
        try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
        let emailBefore = try demo.row("customers", "cus-42")?["email"]

        // The first commit of `executed` waits until the reviewer's rejection has committed: the
        // step it carries was decided from a read taken before the rejection.
        let reached = AsyncStream<Void>.makeStream()
        let gate = AsyncStream<Void>.makeStream()
        let held = Mutex(false)
        store.beforeEachCommit { change in
            let executes = change.operations.contains { operation in
                if case .transition(_, .executing, .executed, _, _) = operation { return true }
                return false
            }
            guard executes, held.withLock({ done in defer { done = true }; return !done }) else { return }
            reached.continuation.yield()
            for await _ in gate.stream { break }
        }
        let body = try Value(json: #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"email":"zoe@example.com"}}"#)
        let submission = Task { try await gateway.submit(body, by: Self.agent) }
        for await _ in reached.stream { break }
        let id = try #require(try await store.mutations(MutationQuery(statuses: [.executing], limit: 10)).first?.id)
        let rejected = try await gateway.vote(on: id, approve: false, note: "not asked for", by: Self.bob)
        #expect(rejected.status == .executing)
        gate.continuation.yield()
        _ = try await submission.value

        let final = try #require(try await gateway.view(of: id))
        #expect(final.status == .rolledBack, "the rejection was lost: \(final.status)")
        #expect(try demo.row("customers", "cus-42")?["email"] == emailBefore)
        store.beforeEachCommit(nil)
        try await store.close()
    }

    @Test("a rollback a crash left rolling_back is finished at the next start")
    func rollbackResumedByReconciliation() async throws {
        let demo = try DemoFixture()
        let state = try TemporaryDirectory()
        let (gateway, store) = try await Self.gateway(state: state, customers: demo.executor("crm.customer"))
        let notesBefore = try demo.row("customers", "cus-42")?["notes"]
        let body = try Value(json: #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"called back"}}"#)
        let id = try await gateway.submit(body, by: Self.agent).view.id
        #expect(try await gateway.view(of: id)?.status == .executed)
        // As a crash right after the rollback began would leave it.
        var begin = StoreChange(at: Date())
        begin.transition(id, from: .executed, to: .rollingBack, audit: AuditEntry(kind: .rollingBack, actor: "root", payload: "{}"))
        _ = try await store.apply(begin)

        try await gateway.reconcile()
        #expect(try await gateway.view(of: id)?.status == .rolledBack)
        #expect(try demo.row("customers", "cus-42")?["notes"] == notesBefore)
        try await store.close()
    }
}
