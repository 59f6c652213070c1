import AirlockCore
import AirlockEngine
import AirlockStore
import ArgumentParser
import CEL
import Foundation

/// `airlock bench reviews`: a store holding a million pending reviews, and how long a reviewer's
/// queue and an approval take in it, with the memory the process holds.
struct BenchReviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviews",
        abstract: "Time a reviewer's queue and an approval among many pending reviews (SQLite, synchronous=FULL).",
        discussion: """
            Fills a new store with --pending high-tier transfers waiting for review, spread over the \
            example pack's seven pools with deadlines over four hours (written in commits of 1,000, \
            audited as the gateway writes them), then submits --samples more through the gateway. \
            Times, through the gateway as GET /v1/reviews calls it, the first page (50) of the queue \
            of a reviewer in every pool and of one in a single pool, and each approval of the \
            sampled transfers; prints median and p99 and the process's memory (VmRSS, VmHWM). Run \
            from a release build.
            """
    )

    @Option(help: "Pending reviews in the store.")
    var pending = 1_000_000

    @Option(help: "Queue reads and approvals timed.")
    var samples = 200

    @Option(help: "The pack.")
    var pack = "examples/policies"

    @Option(name: .customLong("state-dir"), help: "Keep the store in this new directory (default: a temporary one, removed).")
    var stateDirectory: String?

    static let pools = ["finance", "ops-reviewers", "ops-leads", "duty-managers", "pricing", "privacy", "support-leads"]

    func run() async throws {
        #if DEBUG
        say("warning: debug build; measure with: swift build -c release && .build/release/airlock bench reviews")
        #endif
        let directory =
            stateDirectory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("airlock-bench-reviews-\(getpid())")
        if stateDirectory == nil { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if stateDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
        let store = try SQLiteStore.open(StateDirectory(directory))
        var principals = PrincipalDirectory()
        let agent = Principal(id: "bench-agent", kind: .service, roles: [.submitter])
        let everyPool = Principal(id: "rev-all", kind: .human, roles: [.reviewer], pools: Set(Self.pools))
        let onePool = Principal(id: "rev-privacy", kind: .human, roles: [.reviewer], pools: ["privacy"])
        let second = Principal(id: "rev-second", kind: .human, roles: [.reviewer], pools: Set(Self.pools))
        for (n, principal) in [agent, everyPool, onePool, second].enumerated() {
            try principals.add(principal, keySHA256: String(repeating: String(n), count: 64))
        }
        let clock = SystemClock()
        let gateway = Gateway(store: store, principals: principals, clock: clock)
        let files = try PolicySource.files(at: pack)
        try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "bench")
        let transfer = try Value(
            json: #"{"resource":"payments.transfer","operation":"create","changes":{"amount":25000.0,"currency":"USD","from_account":"acc-100001","to_account":"acc-200002"}}"#)
        // One through the gateway: its document and decision are the fillers'.
        let model = try await gateway.submit(transfer, by: agent).view.id
        guard let template = try await store.mutation(id: model), template.status == .pendingReview else {
            throw ValidationError("the pack at \(pack) does not hold a 25,000 USD transfer for review")
        }

        say("filling the store with \(pending) pending reviews…")
        let fillStart = DispatchTime.now().uptimeNanoseconds
        let now = clock.now()
        var written = 0
        while written < pending {
            var change = StoreChange(at: now)
            for n in written..<min(pending, written + 1_000) {
                let id = String(format: "mut_fill%09d", n)
                change.createMutation(
                    NewMutation(
                        id: id, resource: template.resource, operation: template.operation, actorID: agent.id,
                        document: template.document, contentHash: template.contentHash),
                    audit: AuditEntry(kind: .submitted, actor: agent.id, payload: template.document))
                change.transition(
                    id, from: .received, to: .pendingReview,
                    setting: MutationUpdate(tier: "high", policyVersion: template.policyVersion, decision: template.decision),
                    audit: AuditEntry(kind: .decided, actor: "policy", payload: template.decision ?? "{}", policyVersion: template.policyVersion))
                change.openReview(
                    NewReview(
                        id: String(format: "rev_fill%09d", n), mutationID: id, mode: .blocking,
                        groups: [ApprovalGroup(pool: Self.pools[n % Self.pools.count], count: 1)],
                        deadline: now.addingTimeInterval(Double(60 + (n * 7919) % 14_400))),
                    audit: AuditEntry(kind: .reviewOpened, actor: "policy", payload: "{}"))
            }
            _ = try await store.apply(change)
            written = min(pending, written + 1_000)
            if written % 100_000 == 0 { say("  \(written)") }
        }
        let fillSeconds = Double(DispatchTime.now().uptimeNanoseconds - fillStart) / 1e9
        say(String(format: "filled in %.0f s (%.0f reviews/s); memory now %@", fillSeconds, Double(pending) / fillSeconds, Self.memory()))

        var sampled: [String] = []
        for _ in 0..<samples {
            sampled.append(try await gateway.submit(transfer, by: agent).view.id)
        }

        for (who, reviewer) in [("a reviewer in all 7 pools", everyPool), ("a reviewer in 1 pool (privacy)", onePool)] {
            var times: [Double] = []
            var shown = 0
            for _ in 0..<samples {
                let start = DispatchTime.now().uptimeNanoseconds
                shown = try await gateway.openReviews(for: reviewer, limit: 50).count
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            say(Self.line("queue of \(who), first \(shown)", times))
            var reads: [Double] = []
            for _ in 0..<samples {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try await store.reviewQueue(
                    pools: reviewer.pools.sorted(), reviewer: reviewer.id, excludingActors: [reviewer.id], limit: 50)
                reads.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            say(Self.line("  of which the store's read of the page", reads))
        }
        var approvals: [Double] = []
        // (The pack's burst rules refuse some of a quick run of large transfers: those are not voted on.)
        for id in sampled where try await store.mutation(id: id)?.status == .pendingReview {
            let start = DispatchTime.now().uptimeNanoseconds
            let view = try await gateway.vote(on: id, approve: true, note: nil, by: everyPool)
            approvals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if view.status == .pendingReview {
                _ = try await gateway.vote(on: id, approve: true, note: nil, by: second)
            }
        }
        say(Self.line("approval (a vote, durable)", approvals))
        let open = try await store.reviewQueue(pools: Self.pools, reviewer: "nobody", excludingActors: [], limit: 1).count
        say("open reviews left: \(pending + 1)+ (the queue still reads: \(open == 1 ? "yes" : "no"))")
        say("memory: \(Self.memory())")
        try await store.close()
    }

    static func line(_ what: String, _ milliseconds: [Double]) -> String {
        let sorted = milliseconds.sorted()
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return String(format: "%@: median %.2f ms, p99 %.2f ms, max %.2f ms (%d)", what, at(0.5), at(0.99), sorted.last ?? .nan, sorted.count)
    }

    /// VmRSS and VmHWM of this process.
    static func memory() -> String {
        let pid = getpid()
        let rss = BenchSetup.memory(pid: pid).map { "\($0 / 1024) MiB" } ?? "unknown"
        let peak = BenchSetup.peakMemory(pid: pid).map { "\($0 / 1024) MiB" } ?? "unknown"
        return "VmRSS \(rss), VmHWM \(peak)"
    }
}
