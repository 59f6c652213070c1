import AirlockCore
import CEL
import Foundation
import Testing

/// Every (state, event) pair of the lifecycle, the review rules, and random event sequences
/// checked against the invariants — without a store, a clock or an executor.
@Suite("Lifecycle")
struct LifecycleTests {
    static let finance2 = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance", count: 2)], slaSeconds: 3_600)
    static let finance1 = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance", count: 1)], slaSeconds: 3_600)
    /// When the reviews of ``state(_:)`` opened; they are due an hour later.
    static let now = Timestamp(seconds: 1_767_225_600)
    /// A day after ``now``: every review of ``state(_:)`` is overdue.
    static let later = Timestamp(seconds: now.seconds + 86_400)

    /// The state each status is usually in.
    static func state(_ status: MutationStatus) -> LifecycleState {
        switch status {
        case .received:
            return LifecycleState(status: .received, submitter: "agent-7", executor: .airlock, reversible: true)
        case .pendingReview:
            return LifecycleState(
                status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
                review: ReviewState(mode: .blocking, requirement: finance2, openedAt: now))
        case .approved:
            return LifecycleState(
                status: .approved, submitter: "agent-7", executor: .caller, reversible: true,
                review: ReviewState(mode: .parallel, requirement: finance1, openedAt: now))
        case .executing, .executed:
            return LifecycleState(
                status: status, submitter: "agent-7", executor: .airlock, reversible: true,
                review: ReviewState(mode: .parallel, requirement: finance1, openedAt: now))
        case .rollingBack, .failed, .rejected, .expired, .rolledBack, .superseded:
            return LifecycleState(status: status, submitter: "agent-7", executor: .airlock, reversible: true, rollbackAttempts: 1)
        }
    }

    /// One event of each kind, by name.
    static let events: [(String, LifecycleEvent)] = [
        ("invalid", .invalid),
        ("decided low", .decided(tier: .low, approvals: nil, at: Self.now)),
        ("decided medium", .decided(tier: .medium, approvals: finance1, at: Self.now)),
        ("decided high", .decided(tier: .high, approvals: finance2, at: Self.now)),
        ("decided block", .decided(tier: .block, approvals: nil, at: Self.now)),
        ("vote approve", .voteCast(reviewer: "bob", approve: true, pools: ["finance"])),
        ("vote reject", .voteCast(reviewer: "bob", approve: false, pools: ["finance"])),
        ("recount", .votesRecounted),
        ("applied", .executorFinished(.applied(.matches))),
        ("mismatch", .executorFinished(.applied(.mismatch("amount is 5, not 6")))),
        ("conflict", .executorFinished(.conflict("row changed"))),
        ("failed", .executorFinished(.failed("503"))),
        ("undetermined", .executorFinished(.undetermined("unreachable"))),
        ("reported ok", .outcomeReported(executed: true)),
        ("reported failed", .outcomeReported(executed: false)),
        ("rollback", .rollbackRequested(force: false)),
        ("rollback forced", .rollbackRequested(force: true)),
        ("rolled back", .rollbackFinished(.rolledBack)),
        ("rollback refused", .rollbackFinished(.refused("changed since"))),
        ("rollback failed", .rollbackFinished(.failed("timeout"))),
        ("deadline", .deadlinePassed(at: later)),
        ("request changes", .changesRequested(reviewer: "bob", pools: ["finance"])),
        ("redecide block", .redecided(tier: .block, approvals: nil, at: now)),
        ("redecide high", .redecided(tier: .high, approvals: finance1, at: now)),
    ]

    enum Expected: Equatable, CustomStringConvertible {
        /// Accepted, with these status moves (their targets, in order; none for a step that only
        /// records something).
        case moves([MutationStatus])
        case refused(LifecycleRefusal.Code)

        var description: String {
            switch self {
            case .moves(let to): "moves \(to.map(\.rawValue))"
            case .refused(let code): "refused \(code)"
            }
        }
    }

    /// What each event does in each status, written out pair by pair.
    static let table: [MutationStatus: [String: Expected]] = {
        let wrong = Expected.refused(.wrongStatus)
        let noReview = Expected.refused(.notAwaitingReview)
        // A final status: nothing applies.
        let final: [String: Expected] = [
            "invalid": wrong, "decided low": wrong, "decided medium": wrong, "decided high": wrong,
            "decided block": wrong, "vote approve": noReview, "vote reject": noReview, "recount": noReview,
            "applied": wrong, "mismatch": wrong, "conflict": wrong, "failed": wrong, "undetermined": wrong,
            "reported ok": .refused(.executedByAirlock), "reported failed": .refused(.executedByAirlock),
            "rollback": wrong, "rollback forced": wrong, "rolled back": wrong, "rollback refused": wrong,
            "rollback failed": wrong, "deadline": noReview, "request changes": noReview,
            "redecide block": noReview, "redecide high": noReview,
        ]
        var table: [MutationStatus: [String: Expected]] = [:]
        for status in [MutationStatus.failed, .rejected, .expired, .rolledBack, .superseded] { table[status] = final }
        table[.received] = final.merging([
            "invalid": .moves([.rejected]), "decided low": .moves([.approved, .executing]),
            "decided medium": .moves([.approved, .executing]), "decided high": .moves([.pendingReview]),
            "decided block": .moves([.rejected]),
        ]) { $1 }
        table[.pendingReview] = final.merging([
            "vote approve": .moves([]), "vote reject": .moves([.rejected]), "recount": .moves([]),
            "deadline": .moves([.rejected]), "request changes": .moves([.superseded]),
            "redecide block": .moves([.rejected]), "redecide high": .moves([]),
        ]) { $1 }
        table[.approved] = final.merging([
            // Executed by its caller, not yet reported: a rejection (or a block, or a timeout that
            // rolls back) ends it rejected, and the caller's report is refused.
            "vote approve": .moves([]), "vote reject": .moves([.rejected]), "recount": .moves([]),
            "reported ok": .moves([.executing, .executed]), "reported failed": .moves([.executing, .failed]),
            "deadline": .moves([.rejected]), "request changes": wrong, "redecide block": .moves([.rejected]),
            "redecide high": .moves([]),
        ]) { $1 }
        table[.executing] = final.merging([
            "vote approve": .moves([]), "vote reject": .moves([]), "recount": .moves([]),
            "applied": .moves([.executed]), "mismatch": .moves([.executed, .rollingBack]),
            "conflict": .moves([.failed]), "failed": .moves([.failed]), "undetermined": .moves([]),
            "deadline": .moves([]), "request changes": wrong, "redecide block": .moves([]), "redecide high": .moves([]),
        ]) { $1 }
        table[.executed] = final.merging([
            "vote approve": .moves([]), "vote reject": .moves([.rollingBack]), "recount": .moves([]),
            "rollback": .moves([.rollingBack]), "rollback forced": .moves([.rollingBack]),
            "deadline": .moves([.rollingBack]), "request changes": wrong, "redecide block": .moves([.rollingBack]),
            "redecide high": .moves([]),
        ]) { $1 }
        table[.rollingBack] = final.merging([
            "rolled back": .moves([.rolledBack]), "rollback refused": .moves([.executed]),
            "rollback failed": .moves([.executed]),
        ]) { $1 }
        return table
    }()

    @Test("every (status, event) pair does what the table says", arguments: MutationStatus.allCases)
    func everyPair(status: MutationStatus) throws {
        let row = try #require(Self.table[status])
        #expect(Set(row.keys) == Set(Self.events.map(\.0)), "the table covers every event in \(status)")
        for (name, event) in Self.events {
            let expected = try #require(row[name])
            let state = Self.state(status)
            do {
                let step = try Lifecycle.handle(event, in: state)
                #expect(expected == .moves(step.moves.map(\.to)), "\(status) + \(name)")
                Self.checkChained(step, from: state)
            } catch {
                #expect(expected == .refused(error.code), "\(status) + \(name): \(error.message)")
                #expect(error.status == status && error.event == event.name)
            }
        }
    }

    /// Each move is allowed, starts where the previous ended, and the state ends where the moves do.
    static func checkChained(_ step: LifecycleStep, from state: LifecycleState) {
        var current = state.status
        for move in step.moves {
            #expect(move.from == current)
            #expect(move.from.canTransition(to: move.to), "\(move)")
            current = move.to
        }
        #expect(step.state.status == current)
        #expect(step.executes == step.moves.contains { $0.to == .executing && $0.cause == .executionBegun })
        let rollbacks = step.effects.filter { if case .rollBack = $0 { true } else { false } }.count
        #expect(rollbacks == step.moves.count { $0.to == .rollingBack })
    }

    // MARK: Deciding

    @Test("a low decision is approved, learned from, and executed by Airlock in the same step")
    func lowExecutes() throws {
        let step = try Lifecycle.handle(.decided(tier: .low, approvals: nil, at: Self.now), in: Self.state(.received))
        #expect(step.moves.map(\.cause) == [.decided, .executionBegun])
        #expect(step.effects == [.learnSignal, .execute])
    }

    @Test("a low decision of a caller-executed resource waits approved for the caller's report")
    func lowCallerWaits() throws {
        var state = Self.state(.received)
        state.executor = .caller
        let step = try Lifecycle.handle(.decided(tier: .low, approvals: nil, at: Self.now), in: state)
        #expect(step.moves.map(\.to) == [.approved])
        #expect(step.effects == [.learnSignal])
    }

    @Test("medium goes ahead with a parallel review; high waits with a blocking one; block is final")
    func reviewedTiers() throws {
        let medium = try Lifecycle.handle(.decided(tier: .medium, approvals: Self.finance1, at: Self.now), in: Self.state(.received))
        #expect(medium.effects == [.openReview(.parallel, Self.finance1), .learnSignal, .execute])
        #expect(medium.state.review?.mode == .parallel)
        let high = try Lifecycle.handle(.decided(tier: .high, approvals: Self.finance2, at: Self.now), in: Self.state(.received))
        #expect(high.effects == [.openReview(.blocking, Self.finance2)])
        #expect(!high.executes)
        let block = try Lifecycle.handle(.decided(tier: .block, approvals: nil, at: Self.now), in: Self.state(.received))
        #expect(block.state.status == .rejected && block.effects.isEmpty)
        for (_, event) in Self.events {
            #expect(throws: LifecycleRefusal.self) { try Lifecycle.handle(event, in: block.state) }
        }
    }

    @Test("a reviewed tier without approvers is refused, not opened empty")
    func noApprovers() {
        for requirement in [nil, ApprovalRequirement(groups: []), ApprovalRequirement(groups: [ApprovalGroup(pool: "x", count: 0)])] {
            #expect(throws: LifecycleRefusal.self) {
                try Lifecycle.handle(.decided(tier: .high, approvals: requirement, at: Self.now), in: Self.state(.received))
            }
        }
    }

    // MARK: Reviewing

    @Test("the second distinct approval of a blocking review approves and executes in one step")
    func quorumExecutes() throws {
        let first = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: Self.state(.pendingReview))
        #expect(first.moves.isEmpty && first.effects == [.recordVote(pool: "finance")])
        let second = try Lifecycle.handle(.voteCast(reviewer: "carol", approve: true, pools: ["finance", "legal"]), in: first.state)
        #expect(second.effects == [.recordVote(pool: "finance"), .closeReview(.approved), .learnSignal, .execute])
        #expect(second.moves.map(\.to) == [.approved, .executing])
        #expect(second.moves.first?.cause == .reviewApproved)
    }

    @Test("votes: the submitter, a second vote and a voter outside the pools are refused")
    func voteRefusals() throws {
        let state = Self.state(.pendingReview)
        func code(_ event: LifecycleEvent, in state: LifecycleState) -> LifecycleRefusal.Code? {
            do {
                _ = try Lifecycle.handle(event, in: state)
                return nil
            } catch { return error.code }
        }
        #expect(code(.voteCast(reviewer: "agent-7", approve: true, pools: ["finance"]), in: state) == .submitterCannotVote)
        #expect(code(.voteCast(reviewer: "dave", approve: true, pools: ["legal"]), in: state) == .notInPool)
        let voted = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: state).state
        #expect(code(.voteCast(reviewer: "bob", approve: false, pools: ["finance"]), in: voted) == .alreadyVoted)
    }

    @Test("separation of duties up the owner chain: the submitter's owner and that owner's owner cannot vote")
    func ownerChain() throws {
        var state = Self.state(.pendingReview)
        state.owners = ["olga", "pete"]
        for (reviewer, chain) in [("olga", "agent-7 → olga"), ("pete", "agent-7 → olga → pete")] {
            do {
                _ = try Lifecycle.handle(.voteCast(reviewer: reviewer, approve: false, pools: ["finance"]), in: state)
                Issue.record("\(reviewer) voted on a mutation it is accountable for")
            } catch {
                #expect(error.code == .submitterCannotVote)
                #expect(error.message.contains("owners: \(chain)"), "\(error.message)")
                #expect(error.message.contains("separation of duties"))
            }
        }
        #expect(try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: state).effects
            == [.recordVote(pool: "finance")])
    }

    @Test("a vote bound to other content or another policy version is refused; a matching or unbound one counts")
    func boundVotes() throws {
        var state = Self.state(.pendingReview)
        state.contentHash = "c0ffee"
        state.policyVersion = "v2"
        for seen in [Seen(contentHash: "beef"), Seen(policyVersion: "v1"), Seen(contentHash: "c0ffee", policyVersion: "v1")] {
            do {
                _ = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"], seen: seen), in: state)
                Issue.record("a vote for \(seen) counted")
            } catch {
                #expect(error.code == .staleView)
                #expect(error.message.contains("look again"))
            }
        }
        for seen in [Seen(contentHash: "c0ffee", policyVersion: "v2"), Seen(), nil] {
            let step = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"], seen: seen), in: state)
            #expect(step.effects == [.recordVote(pool: "finance")])
        }
    }

    @Test("request changes: a reviewer of the pool supersedes a blocking review's mutation; nobody else may")
    func requestChanges() throws {
        var state = Self.state(.pendingReview)
        state.owners = ["olga"]
        let step = try Lifecycle.handle(.changesRequested(reviewer: "bob", pools: ["finance"]), in: state)
        #expect(step.moves.map(\.to) == [.superseded] && step.moves.first?.cause == .superseded)
        #expect(step.effects == [.closeReview(.cancelled)])
        #expect(step.state.status.isFinal)
        for (reviewer, pools, code) in [
            ("agent-7", Set(["finance"]), LifecycleRefusal.Code.submitterCannotVote),
            ("olga", ["finance"], .submitterCannotVote), ("dave", ["ops"], .notInPool),
        ] {
            do {
                _ = try Lifecycle.handle(.changesRequested(reviewer: reviewer, pools: pools), in: state)
                Issue.record("\(reviewer) asked for changes")
            } catch {
                #expect(error.code == code)
            }
        }
    }

    @Test("re-decided under a new policy version: blocked is rejected, re-routed opens a new review, the same keeps its votes")
    func redecided() throws {
        var state = Self.state(.pendingReview)
        state.review?.ballots = [Ballot(reviewer: "bob", approve: true, pools: ["finance"])]
        let blocked = try Lifecycle.handle(.redecided(tier: .block, approvals: nil, at: Self.later), in: state)
        #expect(blocked.effects == [.recordDecision(.block), .closeReview(.cancelled)])
        #expect(blocked.moves.map(\.to) == [.rejected] && blocked.moves.first?.cause == .redecided)
        let legal = ApprovalRequirement(groups: [ApprovalGroup(pool: "legal")], slaSeconds: 600)
        let rerouted = try Lifecycle.handle(.redecided(tier: .high, approvals: legal, at: Self.later), in: state)
        #expect(rerouted.effects == [.recordDecision(.high), .closeReview(.cancelled), .openReview(.blocking, legal)])
        #expect(rerouted.state.review?.ballots.isEmpty == true)
        #expect(rerouted.state.review?.deadline == Timestamp(seconds: Self.later.seconds + 600))
        let same = try Lifecycle.handle(.redecided(tier: .high, approvals: Self.finance2, at: Self.later), in: state)
        #expect(same.effects == [.recordDecision(.high)] && same.moves.isEmpty)
        #expect(same.state.review?.ballots.count == 1)
        let low = try Lifecycle.handle(.redecided(tier: .low, approvals: nil, at: Self.later), in: state)
        #expect(low.moves.map(\.to) == [.approved, .executing])
        let medium = try Lifecycle.handle(.redecided(tier: .medium, approvals: Self.finance1, at: Self.later), in: state)
        #expect(medium.moves.map(\.to) == [.approved, .executing])
        #expect(medium.effects.contains(.openReview(.parallel, Self.finance1)))
    }

    @Test("quorum across pools: approvers are matched to groups by all their pools")
    func quorumAcrossPools() throws {
        let requirement = ApprovalRequirement(groups: [ApprovalGroup(pool: "finance", count: 1), ApprovalGroup(pool: "legal", count: 1)])
        var state = LifecycleState(
            status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .blocking, requirement: requirement))
        // In both pools, first: recorded for finance. Then one only in finance: both groups filled.
        state = try Lifecycle.handle(.voteCast(reviewer: "carol", approve: true, pools: ["finance", "legal"]), in: state).state
        let step = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: state)
        #expect(step.state.status == .executing)
        #expect(step.effects.first == .recordVote(pool: "finance"))
    }

    @Test("reject_after: a review closes as rejected at its Nth distinct rejection")
    func rejectAfter() throws {
        var requirement = Self.finance2
        requirement.rejectAfter = 2
        var state = LifecycleState(
            status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .blocking, requirement: requirement))
        state = try Lifecycle.handle(.voteCast(reviewer: "bob", approve: false, pools: ["finance"]), in: state).state
        #expect(state.status == .pendingReview && state.review?.status == .open)
        let step = try Lifecycle.handle(.voteCast(reviewer: "carol", approve: false, pools: ["finance"]), in: state)
        #expect(step.state.status == .rejected && step.effects.contains(.closeReview(.rejected)))
    }

    @Test("a recount settles a review whose quorum a crash left open, and changes nothing otherwise")
    func recount() throws {
        var state = Self.state(.pendingReview)
        state.review?.ballots = [
            Ballot(reviewer: "bob", approve: true, pools: ["finance"]), Ballot(reviewer: "carol", approve: true, pools: ["finance"]),
        ]
        let step = try Lifecycle.handle(.votesRecounted, in: state)
        #expect(step.effects == [.closeReview(.approved), .learnSignal, .execute])
        state.review?.ballots.removeLast()
        #expect(try Lifecycle.handle(.votesRecounted, in: state).isEmpty)
    }

    @Test("a parallel review rejected while the change is applied: the executor's answer rolls it back")
    func rejectedWhileExecuting() throws {
        let rejected = try Lifecycle.handle(
            .voteCast(reviewer: "bob", approve: false, pools: ["finance"]), in: Self.state(.executing))
        #expect(rejected.moves.isEmpty && rejected.effects == [.recordVote(pool: "finance"), .closeReview(.rejected)])
        let applied = try Lifecycle.handle(.executorFinished(.applied(.matches)), in: rejected.state)
        #expect(applied.moves.map(\.to) == [.executed, .rollingBack])
        #expect(applied.effects == [.rollBack(.reviewRejectedWhileExecuting)])
    }

    @Test("deadlines: escalate once to escalate_to, then on_timeout decides; never an approval", arguments: [OnTimeout.reject, .expire])
    func deadlines(onTimeout: OnTimeout) throws {
        var requirement = Self.finance2
        requirement.escalateTo = "finance-leads"
        requirement.onTimeout = onTimeout
        let state = LifecycleState(
            status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .blocking, requirement: requirement, openedAt: Self.now))
        // Not yet due: refused, whatever the review's action.
        #expect(throws: LifecycleRefusal.self) { try Lifecycle.handle(.deadlinePassed(at: Self.now), in: state) }
        let escalated = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state)
        #expect(escalated.moves.isEmpty)
        // The escalation is due one SLA after it happened.
        let again = Timestamp(seconds: Self.later.seconds + 3_600)
        #expect(escalated.effects == [.escalateReview([ApprovalGroup(pool: "finance-leads", count: 2)], deadline: again)])
        do {
            _ = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: escalated.state)
            Issue.record("the escalated review timed out before its new deadline")
        } catch {
            #expect(error.code == .notDue)
        }
        let timedOut = try Lifecycle.handle(.deadlinePassed(at: again), in: escalated.state)
        #expect(timedOut.moves.map(\.to) == [onTimeout == .reject ? .rejected : .expired])
        #expect(timedOut.moves.first?.cause == .timedOut(onTimeout))
        #expect(timedOut.effects == [.closeReview(.expired)])
    }

    @Test("a high-tier review whose action is a medium one (or a stored 'approve') still ends unexecuted", arguments: [OnTimeout.unreviewed, .rollback])
    func blockingTimeoutNeverApproves(onTimeout: OnTimeout) throws {
        var requirement = Self.finance2
        requirement.onTimeout = onTimeout
        let state = LifecycleState(
            status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .blocking, requirement: requirement, openedAt: Self.now))
        let timedOut = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state)
        #expect(timedOut.moves.map(\.to) == [.expired])
        #expect(timedOut.effects == [.closeReview(.expired)])
    }

    @Test("a parallel review that times out closes unreviewed and the change stays, or rolls it back")
    func parallelTimeout() throws {
        var requirement = Self.finance2
        requirement.onTimeout = .unreviewed
        var state = LifecycleState(
            status: .executed, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .parallel, requirement: requirement, openedAt: Self.now))
        let kept = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state)
        #expect(kept.moves.isEmpty)
        #expect(kept.effects == [.closeReview(.unreviewed)])
        for action in [OnTimeout.rollback, .reject] {  // reject: what stored decisions said before rollback
            state.review?.onTimeout = action
            let undone = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state)
            #expect(undone.moves.map(\.to) == [.rollingBack])
            #expect(undone.effects == [.closeReview(.expired), .rollBack(.reviewExpired)])
        }
        state.review?.onTimeout = .rollback
        // Timed out while the change was still being applied: the executor's answer undoes it.
        state.status = .executing
        let pending = try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state)
        #expect(pending.moves.isEmpty && pending.effects == [.closeReview(.expired)])
        let applied = try Lifecycle.handle(.executorFinished(.applied(.matches)), in: pending.state)
        #expect(applied.moves.map(\.to) == [.executed, .rollingBack])
    }

    @Test("a review without an SLA never times out")
    func noDeadline() {
        let state = LifecycleState(
            status: .pendingReview, submitter: "agent-7", executor: .airlock, reversible: true,
            review: ReviewState(mode: .blocking, requirement: ApprovalRequirement(groups: [ApprovalGroup(pool: "finance")]), openedAt: Self.now))
        #expect(state.review?.deadline == nil)
        #expect(throws: LifecycleRefusal.self) { try Lifecycle.handle(.deadlinePassed(at: Self.later), in: state) }
    }

    @Test("an on_timeout stored as 'approve' by an earlier version reads as unreviewed")
    func legacyApprove() throws {
        let decoded = try JSONDecoder().decode([OnTimeout].self, from: Data(#"["approve","reject","expire"]"#.utf8))
        #expect(decoded == [.unreviewed, .reject, .expire])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([OnTimeout].self, from: Data(#"["later"]"#.utf8)) }
    }

    // MARK: Executing and undoing

    @Test("a verification mismatch raises the alarm and starts the rollback in the same step")
    func mismatchRollsBack() throws {
        let step = try Lifecycle.handle(.executorFinished(.applied(.mismatch("amount"))), in: Self.state(.executing))
        #expect(step.effects == [.raiseAlarm(.verificationFailed("amount")), .rollBack(.verificationFailed("amount"))])
        #expect(step.state.rollbackAttempts == 1)
    }

    @Test("an irreversible change that does not verify is not undone automatically: the alarm calls a person")
    func mismatchIrreversible() throws {
        var state = Self.state(.executing)
        state.reversible = false
        let step = try Lifecycle.handle(.executorFinished(.applied(.mismatch("amount"))), in: state)
        #expect(step.moves.map(\.to) == [.executed])
        #expect(step.effects == [.raiseAlarm(.verificationFailed("amount"))])
    }

    @Test("reversible: false refuses a rollback unless forced; a caller's change has nothing to undo")
    func irreversible() throws {
        var state = Self.state(.executed)
        state.reversible = false
        #expect(throws: LifecycleRefusal.self) { try Lifecycle.handle(.rollbackRequested(force: false), in: state) }
        let forced = try Lifecycle.handle(.rollbackRequested(force: true), in: state)
        #expect(forced.moves.first?.cause == .rollbackBegun(.requested(forced: true)))
        state.reversible = true
        state.executor = .caller
        do {
            _ = try Lifecycle.handle(.rollbackRequested(force: true), in: state)
            Issue.record("a rollback of a caller's change was accepted")
        } catch {
            #expect(error.code == .executedByCaller)
        }
    }

    @Test("a refused or failed rollback leaves the change executed with an alarm, and may be asked again")
    func rollbackAgain() throws {
        let state = Self.state(.executed)
        let started = try Lifecycle.handle(.rollbackRequested(force: false), in: state)
        #expect(started.state.rollbackAttempts == 1)
        let refused = try Lifecycle.handle(.rollbackFinished(.refused("changed")), in: started.state)
        #expect(refused.state.status == .executed)
        #expect(refused.effects == [.raiseAlarm(.rollbackRefused("changed"))])
        let again = try Lifecycle.handle(.rollbackRequested(force: false), in: refused.state)
        #expect(again.state.rollbackAttempts == 2)
        let failed = try Lifecycle.handle(.rollbackFinished(.failed("timeout")), in: again.state)
        #expect(failed.state.status == .executed)
        #expect(failed.effects == [.raiseAlarm(.rollbackFailed("timeout"))])
        #expect(failed.moves.first?.cause == .rollbackFailed("timeout"))
    }

    @Test("a mutation that ends while its parallel review is open cancels the review")
    func endCancelsReview() throws {
        let failed = try Lifecycle.handle(.executorFinished(.failed("503")), in: Self.state(.executing))
        #expect(failed.effects == [.closeReview(.cancelled)])
        var executed = Self.state(.executed)
        executed = try Lifecycle.handle(.rollbackRequested(force: false), in: executed).state
        let rolledBack = try Lifecycle.handle(.rollbackFinished(.rolledBack), in: executed)
        #expect(rolledBack.effects == [.closeReview(.cancelled)])
        #expect(throws: LifecycleRefusal.self) {
            try Lifecycle.handle(.voteCast(reviewer: "bob", approve: true, pools: ["finance"]), in: rolledBack.state)
        }
    }

    @Test("a caller's report moves approved through executing; Airlock's own executions take no report")
    func callerReports() throws {
        let step = try Lifecycle.handle(.outcomeReported(executed: true), in: Self.state(.approved))
        #expect(step.moves.map(\.cause) == [.outcomeReported, .executed(.unverifiable("reported by the caller"))])
        var airlock = Self.state(.approved)
        airlock.executor = .airlock
        #expect(throws: LifecycleRefusal.self) { try Lifecycle.handle(.outcomeReported(executed: true), in: airlock) }
    }
}
