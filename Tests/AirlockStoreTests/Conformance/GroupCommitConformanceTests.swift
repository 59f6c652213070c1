import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: many concurrent writers.
@Suite("Store conformance: concurrent writers", .sharedResources)
struct GroupCommitConformanceTests {
    @Test(
        "64 concurrent appenders each get their own durable record; the chain stays whole", arguments: StoreFactory.all)
    func concurrentAppends(_ factory: StoreFactory) async throws {
        let subject = try await factory(StoreOptions(checkpointEvery: 100))
        defer { subject.cleanUp() }
        let store = subject.store
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for writer in 0..<64 {
                group.addTask {
                    var seqs: [Int64] = []
                    for index in 0..<20 {
                        seqs += try await store.note("w\(writer)-\(index)", at: subject.clock.now).auditRecords.map(
                            \.seq)
                    }
                    return seqs
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(seqs.sorted() == Array(1...1280))
        let report = try await store.verifyAudit(publicKey: subject.publicKey)
        #expect(report.isIntact && report.recordCount == 1280)
        // One checkpoint at the end of each commit that reaches 100 unsigned records; a commit
        // holds at most one record per appender.
        #expect(report.checkpointCount >= 1280 / (100 + 64) && report.validSignatures == report.checkpointCount)
    }

    @Test("a refused change fails alone: the others in the same group commit succeed", arguments: StoreFactory.all)
    func failuresAreIsolated(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        for index in 0..<32 {
            try await store.create("m-\(index)", at: subject.clock.now)
        }
        // Even mutations approve properly; odd ones try a move from the wrong status.
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<32 {
                group.addTask {
                    let from: MutationStatus = index.isMultiple(of: 2) ? .received : .pendingReview
                    let succeeded = (try? await store.move("m-\(index)", from, .approved, at: subject.clock.now)) != nil
                    return (index, succeeded)
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for index in 0..<32 {
            #expect(outcomes[index] == index.isMultiple(of: 2))
            let expected: MutationStatus = index.isMultiple(of: 2) ? .approved : .received
            #expect(try await store.mutation(id: "m-\(index)")?.status == expected)
        }
        #expect(try await store.auditHead().size == 48)
        #expect(try await store.verifyAudit(publicKey: subject.publicKey).isIntact)
    }

    @Test(
        "new mutations created and moved in one group commit: a taken id or a wrong status fails alone, the rest end as moved",
        arguments: StoreFactory.all)
    func creationsInOneCommit(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("taken", at: subject.clock.now)
        let now = subject.clock.now
        // Kind 0: created and moved twice (fine). Kind 1: an id already stored. Kind 2: the
        // second move names the wrong status of the new mutation. Kind 3: one id created by
        // two changes at once (one wins).
        let outcomes = await withTaskGroup(of: (Int, String).self) { group in
            for index in 0..<48 {
                group.addTask {
                    let kind = index % 4
                    let id = kind == 1 ? "taken" : kind == 3 ? "twin" : "n-\(index)"
                    var change = StoreChange(at: now)
                    change.createMutation(Fixtures.mutation(id), audit: Fixtures.submitted())
                    change.transition(
                        id, from: .received, to: .approved, setting: MutationUpdate(tier: "low", policyVersion: "pv-1"),
                        audit: Fixtures.audit(.decided, "policy"))
                    if kind == 2 {
                        change.transition(id, from: .pendingReview, to: .approved, audit: Fixtures.audit(.approved))
                    } else {
                        change.transition(id, from: .approved, to: .executing, audit: Fixtures.audit("executing"))
                    }
                    do {
                        _ = try await store.apply(change)
                        return (index, "ok")
                    } catch let error as StoreError {
                        return (index, "\(error.code)")
                    } catch {
                        return (index, "unexpected: \(error)")
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        var written = 0
        for index in 0..<48 {
            switch index % 4 {
            case 0:
                #expect(outcomes[index] == "ok")
                let mutation = try #require(try await store.mutation(id: "n-\(index)"))
                #expect(mutation.status == .executing && mutation.revision == 2 && mutation.tier == "low")
                #expect(mutation.policyVersion == "pv-1" && mutation.decision == nil && mutation.beforeValues == nil)
                let moves = try await store.transitions(mutationID: "n-\(index)")
                #expect(moves.map(\.to) == [.approved, .executing])
                #expect(moves.map(\.auditSeq) == [moves[0].auditSeq, moves[0].auditSeq + 1])
                written += 1
            case 1:
                #expect(outcomes[index] == "\(StoreError.Code.alreadyExists)")
            case 2:
                #expect(outcomes[index] == "\(StoreError.Code.statusMismatch)")
                #expect(try await store.mutation(id: "n-\(index)") == nil)
            default:
                break
            }
        }
        let twins = (0..<48).filter { $0 % 4 == 3 }.map { outcomes[$0] }
        #expect(twins.filter { $0 == "ok" }.count == 1)
        #expect(twins.filter { $0 == "\(StoreError.Code.alreadyExists)" }.count == twins.count - 1)
        #expect(try await store.mutation(id: "taken")?.status == .received)
        #expect(try await store.mutation(id: "twin")?.status == .executing)
        // The stored one's record, then three per mutation written (the twin included).
        #expect(try await store.auditHead().size == Int64(1 + 3 * (written + 1)))
        #expect(try await store.verifyAudit(publicKey: subject.publicKey).isIntact)
    }

    @Test("racing approvals of one mutation: exactly one wins", arguments: StoreFactory.all)
    func racingTransitions(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        try await store.create("m-1", at: subject.clock.now)
        try await store.move("m-1", .received, .approved, at: subject.clock.now)
        let wins = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask { (try? await store.move("m-1", .approved, .executing, at: subject.clock.now)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await store.transitions(mutationID: "m-1").map(\.to) == [.approved, .executing])
    }
}
