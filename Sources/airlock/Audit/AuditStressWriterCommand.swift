import AirlockCore
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit stress-writer` (hidden): the writer the crash test kills.
///
/// Several tasks drive mutations through the real store (submit and hold for review, two votes,
/// approve, execute) with group commit, and print `committed SEQ MUTATION STATUS` only after each
/// change is durable. It stops by itself after `--duration` seconds or `--limit` mutations.
struct AuditStressWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress-writer",
        abstract: "Append records in a loop until killed (for crash tests).",
        shouldDisplay: false)

    @OptionGroup var location: StoreLocationOptions

    @Option(help: "Concurrent writer tasks.")
    var tasks = 8

    @Option(help: "Sign a checkpoint every N records.")
    var checkpointEvery = 25

    @Option(help: "Stop after this many seconds.")
    var duration: Double = 60

    @Option(help: "Stop after this many mutations per task.")
    var limit = Int.max

    func run() async throws {
        let store = try location.openForWriting { $0.checkpointEvery = checkpointEvery }
        let deadline = Date().addingTimeInterval(duration)
        let run = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var index = 0
                    while index < limit && Date() < deadline {
                        try await Self.lifecycle(of: "m-\(run)-\(task)-\(index)", in: store)
                        index += 1
                    }
                }
            }
            try await group.waitForAll()
        }
        try await store.close()
    }

    /// One mutation, five durable changes, each reported once committed.
    private static func lifecycle(of id: String, in store: SQLiteStore) async throws {
        func commit(_ change: StoreChange, _ status: MutationStatus) async throws {
            let receipt = try await store.apply(change)
            Output.line("committed \(receipt.lastSeq ?? 0) \(id) \(status.rawValue)")
        }
        let payload = #"{"changes":{"amount":12000.0,"to_account":"acc-991"},"id":"\#(id)"}"#
        var submit = StoreChange(at: Date())
        submit.createMutation(
            NewMutation(
                id: id, resource: "payments.transfer", operation: "create", actorID: "agent-7", document: payload),
            audit: AuditEntry(kind: .submitted, actor: "agent-7", payload: payload))
        submit.transition(
            id, from: .received, to: .pendingReview, setting: MutationUpdate(tier: "high", policyVersion: "pv-stress"),
            audit: AuditEntry(kind: .decided, actor: "policy", payload: #"{"tier":"high"}"#, policyVersion: "pv-stress")
        )
        submit.openReview(
            NewReview(
                id: "r-\(id)", mutationID: id, mode: .blocking, groups: [ApprovalGroup(pool: "finance", count: 2)],
                deadline: Date().addingTimeInterval(3600)),
            audit: AuditEntry(kind: .reviewOpened, actor: "policy"))
        try await commit(submit, .pendingReview)

        for (reviewer, last) in [("alice", false), ("bob", true)] {
            var vote = StoreChange(at: Date())
            vote.castVote(
                NewVote(
                    reviewID: "r-\(id)", reviewer: reviewer, decision: .approve, contentHash: "stress",
                    policyVersion: "pv-stress"),
                audit: AuditEntry(kind: .voted, actor: reviewer, payload: #"{"decision":"approve"}"#))
            if last {
                vote.closeReview("r-\(id)", as: .approved, audit: AuditEntry(kind: .reviewClosed, actor: reviewer))
                vote.transition(
                    id, from: .pendingReview, to: .approved, audit: AuditEntry(kind: .approved, actor: reviewer))
            }
            try await commit(vote, last ? .approved : .pendingReview)
        }
        for (from, to, kind) in [
            (MutationStatus.approved, MutationStatus.executing, AuditKind.executing),
            (.executing, .executed, .executed),
        ] {
            var step = StoreChange(at: Date())
            step.transition(id, from: from, to: to, audit: AuditEntry(kind: kind, actor: "executor"))
            try await commit(step, to)
        }
    }
}
