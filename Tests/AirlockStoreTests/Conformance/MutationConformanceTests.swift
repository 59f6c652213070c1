import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: mutations, transitions, idempotency keys. Every test runs against every
/// store in `StoreFactory.all`.
@Suite("Store conformance: mutations", .sharedResources)
struct MutationConformanceTests {
    @Test("a created mutation reads back as received, with its submitted record", arguments: StoreFactory.all)
    func createAndRead(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let now = subject.clock.now
        let receipt = try await store.create("m-1", at: now)

        #expect(receipt.auditRecords.count == 1)
        let record = try #require(receipt.auditRecords.first)
        #expect(record.seq == 1 && record.kind == .submitted && record.mutationID == "m-1")
        #expect(record.previousHash == .zero && record.computedHash == record.hash)

        let mutation = try #require(try await store.mutation(id: "m-1"))
        #expect(mutation.status == .received && mutation.revision == 0)
        #expect(mutation.resource == "payments.transfer" && mutation.operation == "create")
        #expect(mutation.actorID == "agent-7" && mutation.tier == nil && mutation.decision == nil)
        #expect(mutation.document == Fixtures.mutation("m-1").document)
        #expect(mutation.contentHash.count == 64)
        #expect(mutation.createdAt == now && mutation.updatedAt == now)
        #expect(try await store.mutation(id: "m-2") == nil)
        #expect(try await store.auditRecords(mutationID: "m-1") == [record])
    }

    @Test("a second mutation with the same id is refused and writes nothing", arguments: StoreFactory.all)
    func duplicateID(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        try await subject.store.create("m-1", at: subject.clock.now)
        let code = await storeErrorCode { try await subject.store.create("m-1", at: subject.clock.now) }
        #expect(code == .alreadyExists)
        #expect(try await subject.store.auditHead().size == 1)
    }

    @Test("the whole lifecycle, with a transition and an audit record per step", arguments: StoreFactory.all)
    func lifecycle(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("m-1", at: subject.clock.now)
        let path: [MutationStatus] = [
            .received, .pendingReview, .approved, .executing, .executed, .rollingBack, .rolledBack,
        ]
        for (from, to) in zip(path, path.dropFirst()) {
            subject.clock.advance(by: 1)
            let update =
                to == .pendingReview
                ? MutationUpdate(tier: "high", policyVersion: "pv-1", decision: #"{"tier":"high"}"#) : MutationUpdate()
            let receipt = try await store.move("m-1", from, to, at: subject.clock.now, setting: update)
            #expect(receipt.auditRecords.map(\.kind.rawValue) == [to.rawValue])
        }
        let mutation = try #require(try await store.mutation(id: "m-1"))
        #expect(mutation.status == .rolledBack && mutation.revision == 6)
        #expect(mutation.tier == "high" && mutation.policyVersion == "pv-1" && mutation.decision == #"{"tier":"high"}"#)
        #expect(mutation.updatedAt == subject.clock.now && mutation.createdAt < mutation.updatedAt)

        let transitions = try await store.transitions(mutationID: "m-1")
        #expect(transitions.map(\.from) == Array(path.dropLast()))
        #expect(transitions.map(\.to) == Array(path.dropFirst()))
        #expect(transitions.map(\.auditSeq) == Array(2...7))
        #expect(transitions.allSatisfy { $0.actor == "engine" })
        #expect(try await store.auditRecords(mutationID: "m-1").map(\.seq) == Array(1...7))
    }

    @Test("created and decided in one change: one row as it ends, both records, the transition", arguments: StoreFactory.all)
    func createAndDecideInOneChange(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-1"), audit: Fixtures.submitted("agent-7"))
        change.transition(
            "m-1", from: .received, to: .pendingReview,
            setting: MutationUpdate(tier: "high", policyVersion: "pv-1", decision: #"{"tier":"high"}"#),
            audit: Fixtures.audit("pending_review"))
        let receipt = try await store.apply(change)
        #expect(receipt.auditRecords.map(\.kind.rawValue) == ["submitted", "pending_review"])

        let mutation = try #require(try await store.mutation(id: "m-1"))
        #expect(mutation.status == .pendingReview && mutation.revision == 1)
        #expect(mutation.tier == "high" && mutation.policyVersion == "pv-1" && mutation.decision == #"{"tier":"high"}"#)
        let transitions = try await store.transitions(mutationID: "m-1")
        #expect(transitions.map(\.from) == [.received] && transitions.map(\.to) == [.pendingReview])
        #expect(transitions.map(\.auditSeq) == [2])

        // The same id again, decided in one change, is refused whole.
        let again = await storeErrorCode { _ = try await store.apply(change) }
        #expect(again == .alreadyExists)
        #expect(try await store.auditHead().size == 2)

        // A first move the lifecycle forbids refuses the creation with it.
        var forbidden = StoreChange(at: subject.clock.now)
        forbidden.createMutation(Fixtures.mutation("m-2"), audit: Fixtures.submitted("agent-7"))
        forbidden.transition("m-2", from: .received, to: .executed, audit: Fixtures.audit("executed"))
        let code = await storeErrorCode { _ = try await store.apply(forbidden) }
        #expect(code == .transitionNotAllowed)
        #expect(try await store.mutation(id: "m-2") == nil)
        #expect(try await store.auditHead().size == 2)
    }

    @Test("a move the lifecycle forbids is refused: rejected → approved", arguments: StoreFactory.all)
    func forbiddenTransition(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("m-1", at: subject.clock.now)
        try await store.move("m-1", .received, .rejected, at: subject.clock.now)
        do {
            try await store.move("m-1", .rejected, .approved, at: subject.clock.now)
            Issue.record("rejected → approved was accepted")
        } catch let error as StoreError {
            #expect(error.code == .transitionNotAllowed)
            #expect(error.currentStatus == .rejected && error.mutationID == "m-1")
            #expect(error.message.contains("rejected") && error.message.contains("approved"))
        }
        #expect(try await store.mutation(id: "m-1")?.status == .rejected)
        #expect(try await store.auditHead().size == 2)
    }

    @Test("approving a mutation that was rejected meanwhile is refused", arguments: StoreFactory.all)
    func staleApproval(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("m-1", at: subject.clock.now)
        try await store.move("m-1", .received, .pendingReview, at: subject.clock.now)
        try await store.move("m-1", .pendingReview, .rejected, at: subject.clock.now)
        do {
            try await store.move("m-1", .pendingReview, .approved, at: subject.clock.now)
            Issue.record("a rejected mutation was approved")
        } catch let error as StoreError {
            #expect(error.code == .statusMismatch && error.currentStatus == .rejected)
        }
    }

    @Test("executing twice is refused", arguments: StoreFactory.all)
    func executingTwice(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("m-1", at: subject.clock.now)
        try await store.move("m-1", .received, .approved, at: subject.clock.now)
        try await store.move("m-1", .approved, .executing, at: subject.clock.now)
        let code = await storeErrorCode { try await store.move("m-1", .approved, .executing, at: subject.clock.now) }
        #expect(code == .statusMismatch)
        #expect(try await store.transitions(mutationID: "m-1").count == 2)
    }

    @Test("moving an unknown mutation is refused", arguments: StoreFactory.all)
    func unknownMutation(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let code = await storeErrorCode {
            try await subject.store.move("nope", .received, .approved, at: subject.clock.now)
        }
        #expect(code == .notFound)
        #expect(try await subject.store.auditHead().size == 0)
    }

    @Test("a change is all or nothing: a refused step undoes the steps before it", arguments: StoreFactory.all)
    func atomicChange(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-1"), audit: Fixtures.submitted())
        change.transition("m-1", from: .received, to: .approved, audit: Fixtures.audit(.decided))
        change.transition("m-1", from: .received, to: .rejected, audit: Fixtures.audit(.rejected))
        let code = await storeErrorCode { _ = try await store.apply(change) }
        #expect(code == .statusMismatch)
        #expect(try await store.mutation(id: "m-1") == nil)
        #expect(try await store.auditHead().size == 0)
        #expect(try await store.transitions(mutationID: "m-1").isEmpty)

        // The same store goes on normally afterwards.
        let receipt = try await store.create("m-2", at: subject.clock.now)
        #expect(receipt.auditRecords.first?.seq == 1)
    }

    @Test(
        "an idempotency key is reserved with its mutation; reuse tells a retry from a conflict",
        arguments: StoreFactory.all)
    func idempotency(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let key = IdempotencyKey(scope: "agent-7", key: "k-1", requestHash: "h-1")
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-1", key: key), audit: Fixtures.submitted())
        _ = try await store.apply(change)

        let mutation = try #require(try await store.mutation(id: "m-1"))
        #expect(mutation.idempotencyKey == "k-1" && mutation.requestHash == "h-1")
        let record = try #require(try await store.idempotencyRecord(scope: "agent-7", key: "k-1"))
        #expect(record.mutationID == "m-1" && record.key == key && record.createdAt == subject.clock.now)
        #expect(try await store.idempotencyRecord(scope: "agent-8", key: "k-1") == nil)

        for (hash, matches) in [("h-1", true), ("h-2", false)] {
            var retry = StoreChange(at: subject.clock.now)
            retry.createMutation(
                Fixtures.mutation("m-2", key: IdempotencyKey(scope: "agent-7", key: "k-1", requestHash: hash)),
                audit: Fixtures.submitted())
            do {
                _ = try await store.apply(retry)
                Issue.record("a reused idempotency key was accepted")
            } catch let error as StoreError {
                #expect(error.code == .idempotencyConflict)
                #expect(error.existingMutationID == "m-1" && error.requestMatches == matches)
            }
        }
        #expect(try await store.mutation(id: "m-2") == nil)

        // The same key in another scope is another key.
        var other = StoreChange(at: subject.clock.now)
        other.rememberIdempotencyKey(IdempotencyKey(scope: "agent-8", key: "k-1", requestHash: "h-9"))
        _ = try await store.apply(other)
        #expect(try await store.idempotencyRecord(scope: "agent-8", key: "k-1")?.mutationID == nil)

        subject.clock.advance(by: 3600)
        var forget = StoreChange(at: subject.clock.now)
        forget.forgetIdempotencyKeys(before: subject.clock.now)
        _ = try await store.apply(forget)
        #expect(try await store.idempotencyRecord(scope: "agent-7", key: "k-1") == nil)
    }

    @Test(
        "queries filter by status, actor and resource, page in creation order, and count", arguments: StoreFactory.all)
    func queries(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        for index in 0..<10 {
            subject.clock.advance(by: 1)
            try await store.create(
                "m-\(index)", actor: index.isMultiple(of: 2) ? "agent-a" : "agent-b", at: subject.clock.now)
            if index < 4 {
                try await store.move("m-\(index)", .received, .pendingReview, at: subject.clock.now)
            }
        }
        let pending = try await store.mutations(MutationQuery(statuses: [.pendingReview]))
        #expect(pending.map(\.id) == ["m-0", "m-1", "m-2", "m-3"])
        let byActor = try await store.mutations(
            MutationQuery(statuses: [.received, .pendingReview], actorID: "agent-a"))
        #expect(byActor.map(\.id) == ["m-0", "m-2", "m-4", "m-6", "m-8"])
        #expect(try await store.mutations(MutationQuery(resource: "crm.contact")).isEmpty)

        var pages: [[String]] = []
        var after: String?
        repeat {
            let page = try await store.mutations(MutationQuery(after: after, limit: 4))
            pages.append(page.map(\.id))
            after = page.last?.id
        } while pages.last?.count == 4
        #expect(pages == [["m-0", "m-1", "m-2", "m-3"], ["m-4", "m-5", "m-6", "m-7"], ["m-8", "m-9"]])

        let since = try await store.mutations(MutationQuery(createdSince: subject.clock.now.addingTimeInterval(-1)))
        #expect(since.map(\.id) == ["m-8", "m-9"])
        #expect(try await store.mutationCounts() == [.pendingReview: 4, .received: 6])
    }
}
