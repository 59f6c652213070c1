import AirlockCore
import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import GRDB
import Testing

/// The engine carries out the lifecycle's steps: what goes together is one commit, nothing is
/// lost to a crash between two writes, and a rollback honours `reversible`.
@Suite("Lifecycle effects", .sharedResources)
struct LifecycleEffectsTests {
    static let agent = Principal(id: "agent-7", kind: .agent, roles: [.submitter])
    static let bob = Principal(id: "bob", kind: .human, roles: [.reviewer], pools: ["finance", "privacy"])
    static let carol = Principal(id: "carol", kind: .human, roles: [.reviewer], pools: ["finance", "privacy"])
    static let root = Principal(id: "root", kind: .human, roles: [.admin])
    static let dana = Principal(id: "dana", kind: .human, roles: [.reviewer], pools: ["duty-managers"])
    static let erin = Principal(id: "erin", kind: .human, roles: [.reviewer], pools: ["duty-managers"])
    /// An agent accountable to olga, who is accountable to pete: both reviewers of finance.
    static let bot = Principal(id: "bot-3", kind: .agent, roles: [.submitter], owner: "olga")
    static let olga = Principal(id: "olga", kind: .human, roles: [.reviewer], pools: ["finance"], owner: "pete")
    static let pete = Principal(id: "pete", kind: .human, roles: [.reviewer], pools: ["finance"])

    /// An executor that passes everything through, except what a test overrides.
    final class ScriptedExecutor: Executor, @unchecked Sendable {
        let inner: any Executor
        var verification: VerificationOutcome?
        var rollbackOutcome: RollbackOutcome?
        init(_ inner: any Executor) { self.inner = inner }
        var canRead: Bool { inner.canRead }
        var supportsBulk: Bool { inner.supportsBulk }
        func read(target: String) async -> CELMap? { await inner.read(target: target) }
        func apply(_ request: ExecutionRequest) async -> ExecutionOutcome { await inner.apply(request) }
        func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
            if let verification { return verification }
            return await inner.verify(request, change: change)
        }
        private(set) var attempts: [Int] = []
        func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
            attempts.append(attempt)
            if let rollbackOutcome { return rollbackOutcome }
            return await inner.rollback(change, attempt: attempt)
        }
        func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome { await inner.reconcile(request) }
    }

    struct Fixture {
        let demo: DemoFixture
        let state: TemporaryDirectory
        let store: RecordingStore
        let gateway: Gateway
        let customers: ScriptedExecutor

        init() async throws {
            demo = try DemoFixture()
            state = try TemporaryDirectory()
            customers = ScriptedExecutor(demo.executor("crm.customer"))
            (gateway, store) = try await Self.open(state: state, demo: demo, customers: customers)
        }

        static func open(
            state: TemporaryDirectory, demo: DemoFixture, customers: any Executor,
            clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_767_693_600))
        ) async throws -> (Gateway, RecordingStore) {
            let store = RecordingStore(try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: state.path))))
            var principals = PrincipalDirectory()
            for (n, principal) in [agent, bob, carol, root, dana, erin, bot, olga, pete].enumerated() {
                try principals.add(principal, keySHA256: String(repeating: "\(n)", count: 64))
            }
            let gateway = Gateway(
                store: store, principals: principals, clock: clock,
                executors: Executors([
                    "crm.customer": customers, "payments.transfer": demo.executor("payments.transfer"),
                    "catalog.product": demo.executor("catalog.product"),
                ]))
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
            try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
            return (gateway, store)
        }

        func submit(_ json: String) async throws -> MutationView {
            try await gateway.submit(try Value(json: json), by: LifecycleEffectsTests.agent).view
        }
    }

    static let largeTransfer =
        #"{"resource":"payments.transfer","operation":"create","changes":{"amount":25000.0,"currency":"EUR","from_account":"acc-100200","to_account":"acc-100001"}}"#
    static let notes = #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"notes":"called back"}}"#

    @Test("the vote that completes a review closes it, approves and starts execution in the same commit")
    func voteIsOneCommit() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.largeTransfer).id
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.bob)
        fixture.store.reset()
        let view = try await fixture.gateway.vote(on: id, approve: true, note: "checked", by: Self.carol)
        #expect(view.status == .executed)
        let commits = fixture.store.commits(moving: id, to: .approved)
        try #require(commits.count == 1)
        #expect(
            commits[0].summary == [
                // (expectRevision: the step commits only from the revision it was read at.)
                "expectRevision", "castVote", "closeReview(approved)", "transition(pending_review→approved)", "transition(approved→executing)",
            ])
    }

    @Test("a review a crash left complete but open is settled by start-up reconciliation")
    func reconciliationSettlesQuorum() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.largeTransfer).id
        // As an Airlock that recorded votes and settled them in separate commits left it after a
        // crash between the two: both approvals stored, the review open, the mutation pending.
        let review = try #require(try await fixture.store.reviews(mutationID: id).last)
        let record = try #require(try await fixture.store.mutation(id: id))
        for reviewer in ["bob", "carol"] {
            var vote = StoreChange(at: Date())
            vote.castVote(
                NewVote(
                    reviewID: review.id, reviewer: reviewer, decision: .approve, contentHash: record.contentHash,
                    policyVersion: record.policyVersion, pool: "finance"),
                audit: AuditEntry(kind: .voted, actor: reviewer, payload: "{}"))
            _ = try await fixture.store.apply(vote)
        }
        #expect(try await fixture.gateway.view(of: id)?.status == .pendingReview)
        try await fixture.gateway.reconcile()
        let view = try #require(try await fixture.gateway.view(of: id))
        #expect(view.status == .executed)
        #expect(view.approvals?.state == "approved")
    }

    @Test("two concurrent completing votes: one settles from the other's commit, nothing is left open")
    func concurrentVotes() async throws {
        for _ in 0..<5 {
            let fixture = try await Fixture()
            let id = try await fixture.submit(Self.largeTransfer).id
            let gateway = fixture.gateway
            async let first = gateway.vote(on: id, approve: true, note: nil, by: Self.bob)
            async let second = gateway.vote(on: id, approve: true, note: nil, by: Self.carol)
            _ = try await (first, second)
            let view = try #require(try await fixture.gateway.view(of: id))
            #expect(view.status == .executed)
            #expect(view.approvals?.received.count == 2)
        }
    }

    @Test("a verification mismatch: executed, the alarm and the start of the rollback are one commit")
    func mismatchIsOneCommit() async throws {
        let fixture = try await Fixture()
        fixture.customers.verification = .mismatch("notes is 'x', not 'called back'")
        let view = try await fixture.submit(Self.notes)
        #expect(view.status == .rolledBack)
        let commits = fixture.store.commits(moving: view.id, to: .executed)
        try #require(commits.count == 1)
        #expect(
            commits[0].summary == [
                "expectRevision", "transition(executing→executed)", "recordExecutedChange", "audit(verification_failed)",
                "transition(executed→rolling_back)",
            ])
    }

    @Test("reversible: false: a rollback is refused with the reason unless an admin forces it, audited as forced")
    func irreversibleRollback() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.largeTransfer).id
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.bob)
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: Self.carol)
        await #expect {
            _ = try await fixture.gateway.rollback(id, note: "duplicate", by: Self.root)
        } throws: { error in
            (error as? GatewayError)?.kind == .conflict && "\(error)".contains("not reversible")
        }
        await #expect {
            _ = try await fixture.gateway.rollback(id, note: "duplicate", force: true, by: Self.bob)
        } throws: { error in
            (error as? GatewayError)?.kind == .forbidden
        }
        #expect(try fixture.demo.count("SELECT COUNT(*) FROM transfers") == 1)
        let view = try await fixture.gateway.rollback(id, note: "duplicate", force: true, by: Self.root)
        #expect(view.status == .rolledBack)
        #expect(try fixture.demo.count("SELECT COUNT(*) FROM transfers") == 0)
        let started = try #require(try await fixture.store.auditRecords(mutationID: id).first { $0.kind == .rollingBack })
        #expect(started.payload.contains(#""forced":true"#), "\(started.payload)")
    }

    @Test("a rollback that fails leaves the change executed with a rollback_failed alarm, and may be asked again")
    func failedRollbackStands() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.notes).id
        fixture.customers.rollbackOutcome = .failed("the database is locked")
        await #expect {
            _ = try await fixture.gateway.rollback(id, note: "wrong customer", by: Self.root)
        } throws: { error in
            "\(error)".contains("the database is locked")
        }
        #expect(try await fixture.gateway.view(of: id)?.status == .executed)
        let kinds = try await fixture.store.auditRecords(mutationID: id).map(\.kind.rawValue)
        #expect(kinds.contains("rollback_failed"))
        fixture.customers.rollbackOutcome = nil
        let view = try await fixture.gateway.rollback(id, note: "wrong customer", by: Self.root)
        #expect(view.status == .rolledBack)
        #expect(try await fixture.store.mutation(id: id)?.rollbackAttempts == 2)
    }

    @Test("a rollback the executor refuses leaves the change executed; asked again later, it goes through")
    func refusedRollbackAgain() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.notes).id
        fixture.customers.rollbackOutcome = .refused("cus-42 changed since")
        await #expect(throws: GatewayError.self) {
            _ = try await fixture.gateway.rollback(id, note: "wrong customer", by: Self.root)
        }
        #expect(try await fixture.gateway.view(of: id)?.status == .executed)
        fixture.customers.rollbackOutcome = nil
        #expect(try await fixture.gateway.rollback(id, note: "wrong customer", by: Self.root).status == .rolledBack)
        // Each attempt is numbered, so the http executor sends it under a compensating key of its own.
        #expect(fixture.customers.attempts == [1, 2])
    }

    @Test("the before-image a rollback restores is read from its own table, not from the audit log")
    func executedChangeIsStored() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(Self.notes).id
        let stored = try #require(try await fixture.store.executedChange(mutationID: id))
        let change = try #require(ExecutedChange(jsonValue: try Value(json: stored.change)))
        #expect(change.target == "cus-42")
        let record = try #require(try await fixture.store.mutation(id: id))
        #expect(record.beforeValues?.contains("notes") == true, "\(record.beforeValues ?? "nil")")
    }

    @Test("every submission counts in the actor's rate: refused attempts too")
    func refusedAttemptsCount() async throws {
        let fixture = try await Fixture()
        // Invalid: a negative amount.
        for _ in 0..<3 {
            await #expect(throws: GatewayError.self) {
                _ = try await fixture.submit(
                    #"{"resource":"payments.transfer","operation":"create","changes":{"amount":-5.0,"currency":"EUR","from_account":"acc-100200","to_account":"acc-100001"}}"#)
            }
        }
        let id = try await fixture.submit(Self.notes).id
        let decided = try #require(try await fixture.store.auditRecords(mutationID: id).first { $0.kind == .decided })
        guard case .map(let decision) = try Value(json: decided.payload), case .map(let signals)? = decision["signals"] else {
            Issue.record("no signals in \(decided.payload)")
            return
        }
        #expect(signals["actor_rate_1m"].map { "\($0)" } == "\(Value.int(3))", "\(signals)")
    }

    @Test("a bulk mutation through the gateway: every record applied in one go, and rolled back together")
    func bulkThroughTheGateway() async throws {
        let fixture = try await Fixture()
        let view = try await fixture.submit(
            #"{"resource":"catalog.product","operation":"update","targets":["sku-1","sku-2"],"changes":{"stock":7}}"#)
        #expect(view.status == .executed, "\(view.errors)")
        #expect(try fixture.demo.row("products", "sku-1")?["stock"] == 7.databaseValue)
        #expect(try fixture.demo.row("products", "sku-2")?["stock"] == 7.databaseValue)
        let back = try await fixture.gateway.rollback(view.id, note: "wrong products", by: Self.root)
        #expect(back.status == .rolledBack)
        #expect(try fixture.demo.row("products", "sku-1")?["stock"] == 40.databaseValue)
    }
}
