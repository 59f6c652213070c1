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
