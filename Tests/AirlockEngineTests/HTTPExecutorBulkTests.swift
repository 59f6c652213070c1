import AirlockCore
import AirlockEngine
import CEL
import AirlockTestSupport
import Testing

@Suite("HTTP executor, bulk", .sharedResources)
struct HTTPExecutorBulkTests {
    static let invoices = ["inv-1", "inv-2", "inv-3"]

    static func repricing(_ id: String = "mut-b") -> ExecutionRequest {
        ExecutionRequest(
            mutationID: id, resource: "billing.invoice", operation: .update, targets: invoices,
            changes: .of(["amount": .double(90)]), before: .of(["amount": .double(120)]))
    }

    /// Stores the three invoices, each at 120.
    static func seed(_ service: RecordService) async {
        for id in invoices { await service.state.set(id, HTTPExecutorTests.invoice) }
    }

    static func amounts(_ service: RecordService) async -> [String?] {
        var amounts: [String?] = []
        for id in invoices { amounts.append(await service.state.records[id]?["amount"]?.json) }
        return amounts
    }

    static func calls(_ service: RecordService, _ method: String) async -> [RecordService.Call] {
        await service.state.calls.filter { $0.method == method }
    }

    @Test func eachRecordIsSentUnderItsOwnKey() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            let executor = HTTPExecutorTests.executor(service)
            #expect(executor.supportsBulk)
            let outcome = await executor.apply(Self.repricing())
            guard case .executed(let change) = outcome else { Issue.record("expected executed, got \(outcome)"); return }
            #expect(change.records.map(\.target) == Self.invoices)
            #expect(change.records.map { $0.beforeImage?["amount"]?.json } == ["120.0", "120.0", "120.0"])
            #expect(change.records.map { $0.afterImage?["amount"]?.json } == ["90.0", "90.0", "90.0"])
            let patches = await Self.calls(service, "PATCH")
            #expect(patches.map(\.path) == ["/items/inv-1", "/items/inv-2", "/items/inv-3"])
            #expect(patches.map(\.idempotencyKey) == ["mut-b:inv-1", "mut-b:inv-2", "mut-b:inv-3"])
            #expect(await executor.verify(Self.repricing(), change: change) == .matches)
            // A single-record mutation keeps the mutation id as its key.
            await service.state.set("inv-1", HTTPExecutorTests.invoice)
            guard case .executed = await executor.apply(HTTPExecutorTests.update("mut-s")) else {
                Issue.record("expected executed")
                return
            }
            #expect(await Self.calls(service, "PATCH").last?.idempotencyKey == "mut-s")
        }
    }

    @Test func aStaleRecordSendsNothing() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            await service.state.set("inv-3", .of(["amount": .double(100)]))
            let outcome = await HTTPExecutorTests.executor(service).apply(Self.repricing())
            guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
            #expect(reason.contains("record 'inv-3'") && reason.contains("nothing was sent"), "\(reason)")
            #expect(await service.state.calls.filter { $0.method != "GET" }.isEmpty)
        }
    }

    @Test func aRefusedSecondRecordHasTheFirstCompensated() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            await service.state.refuse("inv-2", with: 422)
            let outcome = await HTTPExecutorTests.executor(service).apply(Self.repricing())
            guard case .failed(let reason, let retryable) = outcome else { Issue.record("expected failed, got \(outcome)"); return }
            #expect(!retryable)
            #expect(reason.contains("record 'inv-2' (2 of 3)") && reason.contains("422"), "\(reason)")
            #expect(reason.contains("compensated: 'inv-1'"), "\(reason)")
            #expect(reason.contains("not sent: the record after it"), "\(reason)")
            #expect(!reason.contains("FAILED"), "\(reason)")
            #expect(await Self.amounts(service) == ["120.0", "120.0", "120.0"])
            #expect(await Self.calls(service, "PATCH").map(\.path) == ["/items/inv-1", "/items/inv-2"])
            let compensations = await Self.calls(service, "PUT")
            #expect(compensations.map(\.path) == ["/items/inv-1"])
            #expect(compensations.map(\.idempotencyKey) == ["mut-b:inv-1:rollback"])
        }
    }

    @Test func aConflictOnTheSecondRecordIsAConflictAndAFailedCompensationIsReported() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            await service.state.refuse("inv-2", with: 409)
            await service.state.refuse("inv-1", method: "PUT", with: 400)
            let outcome = await HTTPExecutorTests.executor(service).apply(Self.repricing())
            guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
            #expect(reason.contains("record 'inv-2' (2 of 3)") && reason.contains("409"), "\(reason)")
            #expect(reason.contains("COMPENSATION FAILED for record 'inv-1'") && reason.contains("400"), "\(reason)")
            #expect(reason.contains("a person must restore it"), "\(reason)")
            #expect(await Self.amounts(service) == ["90.0", "120.0", "120.0"])
        }
    }

    @Test func aRecordWithAnUnknownFateIsLeftToReconciliationWhichCompletesTheChange() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            await service.state.refuse("inv-2", with: 503)
            let executor = HTTPExecutorTests.executor(service)
            let outcome = await executor.apply(Self.repricing())
            guard case .failed(let reason, retryable: true) = outcome else {
                Issue.record("expected a retryable failure, got \(outcome)")
                return
            }
            #expect(reason.contains("record 'inv-2' (2 of 3)") && reason.contains("reconciliation"), "\(reason)")
            #expect(await Self.calls(service, "PUT").isEmpty, "nothing is compensated while inv-2's fate is unknown")
            #expect(await Self.amounts(service) == ["90.0", "120.0", "120.0"])

            await service.state.refuse("inv-2", with: nil)  // the service is back
            guard case .applied(let change) = await executor.reconcile(Self.repricing()) else {
                Issue.record("expected applied")
                return
            }
            #expect(change.records.map(\.target) == Self.invoices)
            #expect(await Self.amounts(service) == ["90.0", "90.0", "90.0"])
            let resent = await Self.calls(service, "PATCH").suffix(3)
            #expect(resent.map(\.idempotencyKey) == ["mut-b:inv-1", "mut-b:inv-2", "mut-b:inv-3"])
            #expect(resent.map(\.deduplicated) == [true, false, false])
        }
    }

    @Test func reconciliationThatFindsARecordRefusedCompensatesTheOthers() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            await service.state.refuse("inv-2", with: 503)
            let executor = HTTPExecutorTests.executor(service)
            guard case .failed(_, retryable: true) = await executor.apply(Self.repricing()) else {
                Issue.record("expected a retryable failure")
                return
            }
            await service.state.refuse("inv-2", with: 422)
            guard case .notApplied = await executor.reconcile(Self.repricing()) else { Issue.record("expected not applied"); return }
            #expect(await Self.amounts(service) == ["120.0", "120.0", "120.0"])
            #expect(await Self.calls(service, "PUT").map(\.idempotencyKey) == ["mut-b:inv-1:rollback"])
            #expect(await Self.calls(service, "PATCH").filter { $0.path == "/items/inv-3" }.isEmpty)
        }
    }

    // MARK: Rollback

    @Test func aRollbackChecksEveryRecordBeforeCompensatingAny() async throws {
        try await RecordService.with { service in
            await Self.seed(service)
            let executor = HTTPExecutorTests.executor(service)
            guard case .executed(let change) = await executor.apply(Self.repricing()) else { Issue.record("expected executed"); return }
            await service.state.set("inv-3", .of(["amount": .double(95), "customer": .string("cus-7")]))
            guard case .refused(let reason) = await executor.rollback(change, attempt: 1) else {
                Issue.record("expected refused")
                return
            }
            #expect(reason.contains("record 'inv-3'") && reason.contains("none was"), "\(reason)")
            #expect(await Self.calls(service, "PUT").isEmpty)

            await service.state.set("inv-3", .of(["amount": .double(90), "customer": .string("cus-7")]))
            #expect(await executor.rollback(change, attempt: 2) == .rolledBack)
            #expect(await Self.amounts(service) == ["120.0", "120.0", "120.0"])
            let compensations = await Self.calls(service, "PUT")
            #expect(compensations.map(\.path) == ["/items/inv-3", "/items/inv-2", "/items/inv-1"])
            #expect(
                compensations.map(\.idempotencyKey) == [
                    "mut-b:inv-3:rollback-2", "mut-b:inv-2:rollback-2", "mut-b:inv-1:rollback-2",
                ])
        }
    }
}
