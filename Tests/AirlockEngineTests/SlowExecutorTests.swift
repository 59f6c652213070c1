import AirlockCore
@testable import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import GRDB
import Testing

/// A slow or hanging executor holds up only its own mutations: the others go on, and one
/// service gets at most its executor's `concurrency` of calls at once.
@Suite("Slow executors", .sharedResources)
struct SlowExecutorTests {
    @Test("a mutation whose executor hangs does not hold up a mutation of another resource")
    func aHangingExecutorBlocksNoOtherMutation() async throws {
        let demo = try DemoFixture()
        let hanging = InterruptedExecutionTests.GatedExecutor(demo.executor("crm.customer"))
        let state = try TemporaryDirectory()
        let store = try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: state.path)))
        var principals = PrincipalDirectory()
        try principals.add(InterruptedExecutionTests.agent, keySHA256: String(repeating: "a", count: 64))
        let gateway = Gateway(
            store: store, principals: principals, clock: ManualClock(Date(timeIntervalSince1970: 1_767_693_600)),
            executors: Executors(["crm.customer": hanging, "catalog.product": demo.executor("catalog.product")]))
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
        try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
        let agent = InterruptedExecutionTests.agent

        let held = Task {
            try await gateway.submit(
                try Value(json: #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"held"}}"#),
                by: agent)
        }
        await hanging.waitUntilReached()
        // While that executor hangs, other mutations are decided and executed.
        for n in 1...3 {
            let other = try await gateway.submit(
                try Value(json: #"{"resource":"catalog.product","operation":"update","target":"sku-1","changes":{"title":"Lamp \#(n)"}}"#),
                by: agent)
            #expect(other.view.status == .executed, "\(other.view.status)")
        }
        #expect(try demo.row("products", "sku-1")?["title"] == "Lamp 3".databaseValue)
        hanging.open()
        #expect(try await held.value.view.status == .executed)
        try await store.close()
    }

    @Test("a service that hangs gets at most the executor's concurrency of calls; the rest wait their turn")
    func aHangingServiceHoldsAtMostItsConcurrency() async throws {
        try await RecordService.with { service in
            await service.state.hold()
            var settings = HTTPExecutorTests.executor(service, read: false, timeout: .seconds(60)).settings
            settings.concurrency = 2
            let executor = HTTPExecutor(resource: "billing.invoice", settings: settings, clock: HTTPExecutorTests.Sleeps())
            let outcomes = Task {
                await withTaskGroup(of: ExecutionOutcome.self) { group in
                    for n in 1...6 {
                        group.addTask { await executor.apply(HTTPExecutorTests.create("mut-\(n)", target: "inv-\(n)")) }
                    }
                    var all: [ExecutionOutcome] = []
                    for await outcome in group { all.append(outcome) }
                    return all
                }
            }
            var polls = 0
            while await service.state.heldNow < 2, polls < 500 {
                try await Task.sleep(for: .milliseconds(20))
                polls += 1
            }
            // Time for a call past the limit to arrive, were it sent.
            try await Task.sleep(for: .milliseconds(300))
            #expect(await service.state.heldNow == 2)
            #expect(executor.slots.inFlight == 2)
            await service.state.stopHolding()
            let all = await outcomes.value
            #expect(all.count == 6)
            for outcome in all {
                guard case .executed = outcome else {
                    Issue.record("expected executed, got \(outcome)")
                    continue
                }
            }
            #expect(await service.state.mostHeld == 2)
            #expect(await service.state.records.count == 6)
        }
    }

    @Test("a call that finds no free slot within its time is not sent, and says why")
    func noSlotInTimeIsNotSent() async throws {
        let slots = CallSlots(limit: 1)
        #expect(await slots.acquire(within: 5))
        #expect(await slots.acquire(within: 0.05) == false)
        #expect(slots.inFlight == 1)
        // A waiter gets the slot given back, first come first served.
        let waiter = Task { await slots.acquire(within: 30) }
        try await Task.sleep(for: .milliseconds(50))
        slots.release()
        #expect(await waiter.value)
        slots.release()
        #expect(slots.inFlight == 0)

        try await RecordService.with { service in
            await service.state.hold()
            var settings = HTTPExecutorTests.executor(service, read: false, timeout: .seconds(1)).settings
            settings.concurrency = 1
            settings.retry = RetryPolicy(attempts: 1)
            let executor = HTTPExecutor(resource: "billing.invoice", settings: settings, clock: HTTPExecutorTests.Sleeps())
            // One call holds the only slot until it times out (1 s); the next waits its turn and
            // gets the slot then; the one after it waits behind that one past its own second.
            async let first = executor.apply(HTTPExecutorTests.create("mut-1", target: "inv-1"))
            var polls = 0
            while await service.state.heldNow < 1, polls < 500 {
                try await Task.sleep(for: .milliseconds(20))
                polls += 1
            }
            async let second = executor.apply(HTTPExecutorTests.create("mut-2", target: "inv-2"))
            try await Task.sleep(for: .milliseconds(100))
            let third = await executor.apply(HTTPExecutorTests.create("mut-3", target: "inv-3"))
            await service.state.stopHolding()
            _ = await (first, second)
            guard case .failed(let reason, let retryable) = third else {
                Issue.record("expected a failure, got \(third)")
                return
            }
            #expect(reason.contains("not sent"), "\(reason)")
            #expect(retryable == false, "nothing was sent: it cannot have happened")
            #expect(await service.state.calls.filter { $0.path == "/items/inv-3" }.isEmpty)
            #expect(await service.state.calls.filter { $0.path == "/items/inv-2" }.count == 1)
        }
    }
}
