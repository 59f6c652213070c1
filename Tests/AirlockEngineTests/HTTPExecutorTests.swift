import AirlockCore
import AirlockEngine
import CEL
import Crypto
import Foundation
import Synchronization
import AirlockTestSupport
import Testing

@Suite("HTTP executor", .sharedResources)
struct HTTPExecutorTests {
    static let secret = Array("s3cret-for-tests".utf8)

    /// A clock that records the waits between retries instead of waiting (it stands still, so
    /// each wait reads back exactly, in whole milliseconds).
    final class Sleeps: GatewayClock {
        private let waits = Mutex<[Duration]>([])
        private let start = Date(timeIntervalSince1970: 0)
        var recorded: [Duration] { waits.withLock { $0 } }
        func now() -> Date { start }
        func sleep(until deadline: Date) async throws {
            let milliseconds = Int64((deadline.timeIntervalSince(start) * 1000).rounded())
            waits.withLock { $0.append(.milliseconds(milliseconds)) }
        }
    }

    static func executor(
        _ service: RecordService, sleeps: Sleeps = Sleeps(), read: Bool = true, timeout: Duration = .seconds(5)
    ) -> HTTPExecutor {
        let items = service.base + "/items/{target}"
        let settings = HTTPExecutorSettings(
            endpoints: [
                .create: HTTPEndpoint(method: "POST", url: items), .update: HTTPEndpoint(method: "PATCH", url: items),
                .delete: HTTPEndpoint(method: "DELETE", url: items),
            ],
            readURL: read ? items : nil,
            compensations: [
                .create: HTTPEndpoint(method: "DELETE", url: items), .update: HTTPEndpoint(method: "PUT", url: items),
                .delete: HTTPEndpoint(method: "PUT", url: items),
            ],
            secret: secret, timeout: timeout,
            retry: RetryPolicy(attempts: 4, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(250)))
        return HTTPExecutor(resource: "billing.invoice", settings: settings, clock: sleeps)
    }

    static func create(_ id: String = "mut-1", target: String? = "inv-1") -> ExecutionRequest {
        ExecutionRequest(
            mutationID: id, resource: "billing.invoice", operation: .create, target: target,
            changes: .of(["amount": .double(120), "customer": .string("cus-7")]))
    }

    static func update(_ id: String = "mut-2", amount: Double = 90, before: CELMap? = .of(["amount": .double(120)])) -> ExecutionRequest {
        ExecutionRequest(
            mutationID: id, resource: "billing.invoice", operation: .update, target: "inv-1",
            changes: .of(["amount": .double(amount)]), before: before)
    }

    static let invoice = CELMap.of(["amount": .double(120), "customer": .string("cus-7")])

    @Test func aCreateIsSignedAndCarriesTheMutationIDAsIdempotencyKey() async throws {
        try await RecordService.with { service in
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.create()) else { Issue.record("expected executed"); return }
            #expect(change.beforeImage == nil)
            #expect(change.afterImage?["customer"]?.json == #""cus-7""#)
            let calls = await service.state.calls.filter { $0.method == "POST" }
            let call = try #require(calls.first)
            #expect(calls.count == 1)
            #expect(call.path == "/items/inv-1")
            #expect(call.idempotencyKey == "mut-1")
            #expect(String(decoding: call.body, as: UTF8.self) == #"{"amount":120.0,"customer":"cus-7"}"#)
            let code = HMAC<Crypto.SHA256>.authenticationCode(for: call.body, using: SymmetricKey(data: Self.secret))
            let hex = Hex.encode(code)
            #expect(call.signature == "sha256=" + hex)
            #expect(HTTPExecutor.signature(of: call.body, secret: Self.secret) == "sha256=" + hex)
            #expect(await service.state.records["inv-1"] != nil)
            #expect(await executor.verify(Self.create(), change: change) == .matches)
        }
    }

    @Test func a5xxIsRetriedWithBackoffUntilItSucceeds() async throws {
        try await RecordService.with { service in
            await service.state.script([500, 503, 502])
            let sleeps = Sleeps()
            let executor = Self.executor(service, sleeps: sleeps)
            guard case .executed = await executor.apply(Self.create()) else { Issue.record("expected executed"); return }
            let posts = await service.state.calls.filter { $0.method == "POST" }
            #expect(posts.count == 4)
            #expect(Set(posts.map(\.idempotencyKey)) == ["mut-1"])
            #expect(Set(posts.map(\.signature)).count == 1)
            #expect(sleeps.recorded == [.milliseconds(100), .milliseconds(200), .milliseconds(250)])
        }
    }

    @Test func aPersistent5xxIsARetryableFailure() async throws {
        try await RecordService.with { service in
            await service.state.script([500, 500, 500, 500, 500])
            let outcome = await Self.executor(service).apply(Self.create())
            guard case .failed(let reason, retryable: true) = outcome else { Issue.record("expected a retryable failure, got \(outcome)"); return }
            #expect(reason.contains("500"))
            #expect(await service.state.calls.filter { $0.method == "POST" }.count == 4)
            #expect(await service.state.records["inv-1"] == nil)
        }
    }

    @Test func aTimeoutIsRetried() async throws {
        try await RecordService.with { service in
            await service.state.stall(.seconds(3))
            let executor = Self.executor(service, timeout: .seconds(1))
            let outcome = await executor.apply(Self.create())
            guard case .executed = outcome else { Issue.record("expected executed, got \(outcome)"); return }
            // At least one retry after the stalled call; a loaded machine may time out once more.
            #expect(await service.state.calls.filter { $0.method == "POST" }.count >= 2)
        }
    }

    @Test func a4xxFailsWithoutRetrying() async throws {
        try await RecordService.with { service in
            await service.state.script([400])
            let sleeps = Sleeps()
            let outcome = await Self.executor(service, sleeps: sleeps).apply(Self.create())
            guard case .failed(let reason, retryable: false) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
            #expect(reason.contains("400"))
            #expect(await service.state.calls.filter { $0.method == "POST" }.count == 1)
            #expect(sleeps.recorded.isEmpty)
        }
    }

    @Test func aFailedPreconditionSendsNothing() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let outcome = await Self.executor(service).apply(Self.update(before: .of(["amount": .double(100)])))
            guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
            #expect(reason.contains("amount"))
            #expect(await service.state.calls.filter { $0.method != "GET" }.isEmpty)
        }
    }

    @Test func anUnreadableRecordSendsNothingAndIsNotLeftToReconciliation() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            await service.state.scriptReads([503, 503, 503, 503, 503, 503, 503, 503])
            let outcome = await Self.executor(service).apply(Self.update())
            guard case .failed(let reason, let retryable) = outcome else { Issue.record("expected failed, got \(outcome)"); return }
            #expect(!retryable, "a retryable failure is reconciled by sending the request unchecked")
            #expect(reason.contains("nothing was sent"), "\(reason)")
            #expect(await service.state.calls.filter { $0.method != "GET" }.isEmpty)
        }
    }

    @Test func readsTheCurrentValues() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            #expect(executor.canRead)
            #expect(await executor.read(target: "inv-1")?["amount"]?.json == "120.0")
            #expect(await executor.read(target: "inv-404") == nil)
            #expect(!Self.executor(service, read: false).canRead)
        }
    }

    // MARK: Rollback

    @Test func rollingBackACreateCallsItsCompensation() async throws {
        try await RecordService.with { service in
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.create()) else { Issue.record("expected executed"); return }
            #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
            #expect(await service.state.records["inv-1"] == nil)
            let compensation = try #require(await service.state.calls.last { $0.method == "DELETE" })
            #expect(compensation.idempotencyKey == "mut-1:rollback")
        }
    }

    @Test func rollingBackAnUpdateSendsTheBeforeImage() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.update()) else { Issue.record("expected executed"); return }
            #expect(await service.state.records["inv-1"]?["amount"]?.json == "90.0")
            #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
            #expect(await service.state.records["inv-1"].map { Value.map($0).json } == Value.map(Self.invoice).json)
            let put = try #require(await service.state.calls.last { $0.method == "PUT" })
            #expect(String(decoding: put.body, as: UTF8.self) == #"{"amount":120.0,"customer":"cus-7"}"#)
        }
    }

    @Test func withoutARecordOfTheEarlierValuesARollbackIsRefusedNotFaked() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service, read: false)
            // No read URL and no before: the earlier amount is known to nobody.
            guard case .executed(let blind) = await executor.apply(Self.update(before: nil)) else {
                Issue.record("expected executed"); return
            }
            guard case .refused(let why) = await executor.rollback(blind, attempt: 1) else { Issue.record("expected refused"); return }
            #expect(why.contains("earlier values of amount are unknown"), "\(why)")
            #expect(await service.state.calls.filter { $0.method == "PUT" }.isEmpty)
            // With the before the decision saw, it is restored.
            guard case .executed(let known) = await executor.apply(Self.update("mut-4", amount: 80, before: .of(["amount": .double(90)]))) else {
                Issue.record("expected executed"); return
            }
            #expect(await executor.rollback(known, attempt: 1) == .rolledBack)
            #expect(await service.state.records["inv-1"]?["amount"]?.json == "90.0")
        }
    }

    @Test func rollingBackADeleteRecreatesTheRecord() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            let delete = ExecutionRequest(mutationID: "mut-3", resource: "billing.invoice", operation: .delete, target: "inv-1")
            guard case .executed(let change) = await executor.apply(delete) else { Issue.record("expected executed"); return }
            #expect(await service.state.records["inv-1"] == nil)
            #expect(await executor.verify(delete, change: change) == .matches)
            #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
            #expect(await service.state.records["inv-1"].map { Value.map($0).json } == Value.map(Self.invoice).json)
        }
    }

    @Test func aRollbackIsRefusedAfterAnOutsideChange() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.update()) else { Issue.record("expected executed"); return }
            await service.state.set("inv-1", .of(["amount": .double(95), "customer": .string("cus-7")]))
            guard case .refused(let reason) = await executor.rollback(change, attempt: 1) else { Issue.record("expected refused"); return }
            #expect(reason.contains("amount"))
            #expect(await service.state.calls.filter { $0.method == "PUT" }.isEmpty)
            #expect(await service.state.records["inv-1"]?["amount"]?.json == "95.0")
        }
    }

    @Test func aRefusedRollbackIsTriedAgainUnderANewKey() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.update()) else {
                Issue.record("expected executed")
                return
            }
            await service.state.refuse("inv-1", method: "PUT", with: 409)
            guard case .refused = await executor.rollback(change, attempt: 1) else { Issue.record("expected refused"); return }
            await service.state.refuse("inv-1", method: "PUT", with: nil)  // whatever blocked it is resolved
            // The same attempt is answered from the service's memory of its key…
            guard case .refused = await executor.rollback(change, attempt: 1) else { Issue.record("expected refused again"); return }
            // …a new attempt is taken afresh.
            #expect(await executor.rollback(change, attempt: 2) == .rolledBack)
            #expect(await service.state.records["inv-1"]?["amount"]?.json == "120.0")
            let compensations = await service.state.calls.filter { $0.method == "PUT" }
            #expect(compensations.map(\.idempotencyKey) == ["mut-2:rollback", "mut-2:rollback", "mut-2:rollback-2"])
            #expect(compensations.map(\.deduplicated) == [false, true, false])
        }
    }

    // MARK: Verification and reconciliation

    @Test func verificationFindsADifference() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            guard case .executed(let change) = await executor.apply(Self.update()) else { Issue.record("expected executed"); return }
            await service.state.set("inv-1", .of(["amount": .double(91)]))
            guard case .mismatch(let description) = await executor.verify(Self.update(), change: change) else {
                Issue.record("expected mismatch")
                return
            }
            #expect(description.contains("amount: wanted 90.0, found 91.0"))
            #expect(await Self.executor(service, read: false).verify(Self.update(), change: change) != .matches)
        }
    }

    @Test func reconciliationResendsUnderTheSameKeyAndNeverAppliesTwice() async throws {
        try await RecordService.with { service in
            await service.state.set("inv-1", Self.invoice)
            let executor = Self.executor(service)
            _ = await executor.apply(Self.update())  // applied, and the gateway dies before recording it
            guard case .applied(let change) = await executor.reconcile(Self.update()) else { Issue.record("expected applied"); return }
            #expect(change.afterImage?["amount"]?.json == "90.0")
            let patches = await service.state.calls.filter { $0.method == "PATCH" }
            #expect(patches.count == 2)
            #expect(patches.map(\.deduplicated) == [false, true])
        }
    }

    @Test func reconciliationOfARequestNeverSentAppliesItOnce() async throws {
        try await RecordService.with { service in
            let executor = Self.executor(service)
            guard case .applied = await executor.reconcile(Self.create("mut-9")) else { Issue.record("expected applied"); return }
            #expect(await service.state.records["inv-1"] != nil)
            #expect(await service.state.calls.filter { $0.method == "POST" }.count == 1)
        }
    }

    @Test func reconciliationOfARefusedRequestIsNotApplied() async throws {
        try await RecordService.with { service in
            await service.state.script([422])
            guard case .notApplied = await Self.executor(service).reconcile(Self.create()) else { Issue.record("expected not applied"); return }
        }
    }
}
