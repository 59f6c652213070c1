import AirlockCore
import CEL
import Testing

/// Random event sequences against the lifecycle's promises: nothing executes before its
/// approvals, nothing executes twice, a rolled-back change never runs again, a block is final.
@Suite("Lifecycle under random events")
struct LifecyclePropertyTests {
    /// A small deterministic generator (SplitMix64), so that a failure is repeatable by its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let reviewers: [(String, Set<String>)] = [
        ("agent-7", ["finance"]), ("alice", ["finance", "legal"]), ("bob", ["finance"]), ("carol", ["legal"]),
        ("dave", ["ops"]),
    ]

    static let start = Timestamp(seconds: 1_767_225_600)

    static func randomEvent(_ rng: inout SplitMix) -> LifecycleEvent {
        let requirement = ApprovalRequirement(
            groups: [ApprovalGroup(pool: "finance", count: Int.random(in: 1...2, using: &rng))]
                + (Bool.random(using: &rng) ? [ApprovalGroup(pool: "legal", count: 1)] : []),
            slaSeconds: Bool.random(using: &rng) ? 1_800 : nil, escalateTo: Bool.random(using: &rng) ? "legal" : nil,
            onTimeout: OnTimeout.allCases.randomElement(using: &rng)!, rejectAfter: Int.random(in: 1...2, using: &rng))
        let (reviewer, pools) = reviewers.randomElement(using: &rng)!
        let verification: Verification = [.matches, .mismatch("m"), .unverifiable("u")].randomElement(using: &rng)!
        let events: [LifecycleEvent] = [
            .invalid, .decided(tier: Tier.allCases.randomElement(using: &rng)!, approvals: requirement, at: start),
            .voteCast(reviewer: reviewer, approve: Int.random(in: 0..<4, using: &rng) > 0, pools: pools),
            .voteCast(reviewer: reviewer, approve: true, pools: pools), .votesRecounted,
            .executorFinished(.applied(verification)), .executorFinished(.conflict("c")),
            .executorFinished(.failed("f")), .executorFinished(.undetermined("u")),
            .outcomeReported(executed: Bool.random(using: &rng)), .rollbackRequested(force: Bool.random(using: &rng)),
            .rollbackFinished(.rolledBack), .rollbackFinished(.refused("r")), .rollbackFinished(.failed("f")),
            .deadlinePassed(at: Timestamp(seconds: start.seconds + Int64.random(in: 0...7_200, using: &rng))),
            .redecided(tier: Tier.allCases.randomElement(using: &rng)!, approvals: requirement, at: start),
            .changesRequested(reviewer: reviewer, pools: pools),
        ]
        return events.randomElement(using: &rng)!
    }

    @Test("4,000 random sequences of 40 events keep every promise", arguments: 0..<4)
    func randomSequences(batch: Int) {
        var rng = SplitMix(state: UInt64(batch) &* 7_919 &+ 1)
        for run in 0..<1_000 {
            var state = LifecycleState(
                status: .received, submitter: "agent-7", executor: Bool.random(using: &rng) ? .airlock : .caller,
                reversible: Bool.random(using: &rng))
            var executions = 0
            var blocked = false
            var rolledBack = false
            var approvedByPolicy = false
            for _ in 0..<40 {
                let event = Self.randomEvent(&rng)
                let before = state
                guard let step = try? Lifecycle.handle(event, in: state) else { continue }
                #expect(!blocked, "run \(batch)/\(run): a blocked mutation accepted \(event.name)")
                #expect(!rolledBack, "run \(batch)/\(run): a rolled-back mutation accepted \(event.name)")
                var current = before.status
                for move in step.moves {
                    #expect(move.from == current && current.canTransition(to: move.to), "run \(batch)/\(run): \(move)")
                    current = move.to
                    if move.to == .executing {
                        executions += 1
                        // Nothing executes before its approvals: a blocking review is approved
                        // (unless a new policy version approved the mutation without one).
                        if let review = step.state.review, review.mode == .blocking, !approvedByPolicy {
                            #expect(review.status == .approved, "run \(batch)/\(run): executing under a \(review.status) review")
                        }
                    }
                    if move.to == .rolledBack { rolledBack = true }
                    if move.cause == .redecided, move.to == .approved { approvedByPolicy = true }
                    if move.cause == .decided, move.to == .rejected { blocked = true }
                }
                // No timeout approves a mutation or lets one execute.
                if case .deadlinePassed = event {
                    #expect(!step.moves.contains { $0.to == .approved || $0.to == .executing }, "run \(batch)/\(run): \(step.moves)")
                    #expect(!step.effects.contains(.closeReview(.approved)), "run \(batch)/\(run): a timeout approved the review")
                }
                #expect(step.state.status == current)
                if step.executes { #expect(step.state.executor == .airlock) }
                state = step.state
            }
            // Nothing executes twice.
            #expect(executions <= 1, "run \(batch)/\(run): executed \(executions) times")
        }
    }
}
