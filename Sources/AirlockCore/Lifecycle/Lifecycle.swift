import CEL

/// The mutation lifecycle as one pure function: a state and an event in, the next state, the
/// status moves and the effects out (or a refusal). Nothing here reads a clock, a store or the
/// network; the engine carries the effects out and turns the executor's answers into the next
/// events.
///
/// ```
/// received ─► rejected                      (invalid, or tier block)
/// received ─► approved ─► executing ─► executed | failed
/// received ─► pending_review ─► approved ─► …     (high)
///                           └─► rejected | expired
/// executed ─► rolling_back ─► rolled_back | executed   (the rollback refused or failed: the change stands)
/// ```
///
/// What it promises (tested in Core, also over random event sequences): nothing executes before
/// its approvals, nothing executes twice, a rolled-back change never runs again, a block is
/// final, and every move is one ``MutationStatus/successors`` allows.
public enum Lifecycle {
    /// What `event` does to a mutation in `state`.
    ///
    /// - Throws: ``LifecycleRefusal`` when the event does not apply; nothing is to be written then.
    public static func handle(_ event: LifecycleEvent, in state: LifecycleState) throws(LifecycleRefusal)
        -> LifecycleStep
    {
        var step = LifecycleStep(state: state)
        switch event {
        case .invalid:
            try expect(.received, for: event, in: state)
            step.move(to: .rejected, .invalid)
        case .decided(let tier, let approvals, let time):
            try expect(.received, for: event, in: state)
            try decide(tier, approvals, at: time, &step, event)
        case .voteCast(let reviewer, let approve, let pools, let seen):
            try vote(reviewer: reviewer, approve: approve, pools: pools, seen: seen, &step, event)
        case .changesRequested(let reviewer, let pools):
            let review = try openReview(for: event, in: state)
            guard review.mode == .blocking else {
                throw refusal(.wrongStatus, event, state, "the change already ran under a parallel review; reject it (which rolls it back) instead of asking for changes")
            }
            _ = try eligible(reviewer, pools: pools, in: review, step.state, event)
            guard !review.ballots.contains(where: { $0.reviewer == reviewer }) else {
                throw refusal(.alreadyVoted, event, state, "'\(reviewer)' already voted on the mutation; a vote is not taken back by asking for changes")
            }
            close(.cancelled, &step)
            step.move(to: .superseded, .superseded)
        case .redecided(let tier, let approvals, let time):
            try redecide(tier, approvals, at: time, &step, event)
        case .votesRecounted:
            _ = try openReview(for: event, in: state)
            settle(&step)
        case .executorFinished(let result):
            try expect(.executing, for: event, in: state)
            finishExecution(result, &step)
        case .outcomeReported(let executed):
            guard state.executor == .caller else {
                throw refusal(.executedByAirlock, event, state, "Airlock executes this mutation itself; its outcome is not reported by the caller")
            }
            try expect(.approved, for: event, in: state)
            step.move(to: .executing, .outcomeReported)
            step.move(to: executed ? .executed : .failed, executed ? .executed(.unverifiable("reported by the caller")) : .executionFailed("reported by the caller"))
        case .rollbackRequested(let force):
            try expect(.executed, for: event, in: state)
            guard state.executor == .airlock else {
                throw refusal(.executedByCaller, event, state, "the mutation was executed by its caller; Airlock has no record of the change to undo")
            }
            guard state.reversible || force else {
                throw refusal(.irreversible, event, state, "the resource is not reversible (reversible: false); an admin may force the rollback with force: true")
            }
            beginRollback(.requested(forced: force && !state.reversible), &step)
        case .rollbackFinished(let result):
            try expect(.rollingBack, for: event, in: state)
            switch result {
            case .rolledBack:
                step.move(to: .rolledBack, .rolledBack)
            case .refused(let why):
                step.add(.raiseAlarm(.rollbackRefused(why)))
                step.move(to: .executed, .rollbackRefused(why))
            case .failed(let why):
                step.add(.raiseAlarm(.rollbackFailed(why)))
                step.move(to: .executed, .rollbackFailed(why))
            }
        case .deadlinePassed(let time):
            try timeOut(at: time, &step, event)
        }
        // A mutation that ended (failed, rolled back) while its parallel review was still open
        // leaves nothing to review: the review is cancelled, not left in reviewers' queues.
        if step.state.status.isFinal, step.state.review?.status == .open {
            close(.cancelled, &step)
        }
        return step
    }

    // MARK: Deciding

    private static func decide(
        _ tier: Tier, _ approvals: ApprovalRequirement?, at time: Timestamp, _ step: inout LifecycleStep,
        _ event: LifecycleEvent
    ) throws(LifecycleRefusal) {
        switch tier {
        case .block:
            step.move(to: .rejected, .decided)
        case .low:
            approve(.decided, &step)
        case .medium, .high:
            guard let approvals, !approvals.groups.isEmpty, approvals.groups.allSatisfy({ $0.count >= 1 }) else {
                throw refusal(.noApprovers, event, step.state, "a \(tier) decision needs at least one approver group")
            }
            let mode: ReviewMode = tier == .high ? .blocking : .parallel
            step.move(to: tier == .high ? .pendingReview : .approved, .decided)
            step.state.review = ReviewState(mode: mode, requirement: approvals, openedAt: time)
            step.add(.openReview(mode, approvals))
            if tier == .medium { goAhead(&step) }
        }
    }

    /// To `approved`, counted in the signal history, and on to `executing` when Airlock applies it.
    private static func approve(_ cause: MoveCause, _ step: inout LifecycleStep) {
        step.move(to: .approved, cause)
        goAhead(&step)
    }

    /// An approved mutation counts in the signal history and, when Airlock applies it, moves on to
    /// `executing` in the same commit (write-ahead: no crash leaves it approved with nobody to run it).
    private static func goAhead(_ step: inout LifecycleStep) {
        step.add(.learnSignal)
        if step.state.executor == .airlock {
            step.move(to: .executing, .executionBegun)
            step.add(.execute)
        }
    }

    // MARK: Reviewing

    private static func vote(
        reviewer: String, approve: Bool, pools: Set<String>, seen: Seen?, _ step: inout LifecycleStep,
        _ event: LifecycleEvent
    ) throws(LifecycleRefusal) {
        let review = try openReview(for: event, in: step.state)
        if let hash = seen?.contentHash, hash != step.state.contentHash {
            throw refusal(.staleView, event, step.state, "the vote is for content \(hash), but the mutation's content is \(step.state.contentHash): look again before voting")
        }
        if let version = seen?.policyVersion, version != step.state.policyVersion {
            let current = step.state.policyVersion ?? "none"
            throw refusal(.staleView, event, step.state, "the vote is for policy version \(version), but the mutation stands decided under \(current): look again before voting")
        }
        let eligible = try eligible(reviewer, pools: pools, in: review, step.state, event)
        guard !review.ballots.contains(where: { $0.reviewer == reviewer }) else {
            throw refusal(.alreadyVoted, event, step.state, "'\(reviewer)' already voted on the mutation")
        }
        // The pool the vote is recorded for: the first of the reviewer's that still needs
        // approvals. Settling does not rely on it: approvers are matched to groups by all their pools.
        let pool =
            eligible.first { group in
                review.ballots.count { $0.approve && $0.pools.contains(group.pool) } < group.count
            }?.pool ?? eligible[0].pool
        step.state.review?.ballots.append(Ballot(reviewer: reviewer, approve: approve, pools: Set(eligible.map(\.pool))))
        step.add(.recordVote(pool: pool))
        settle(&step)
    }

    /// A new policy version's decision on a mutation under review. Nothing changes when it asks
    /// for what the review already needs; votes under the old requirement do not carry over to a
    /// new one (a new review is opened), so no approval given under the old rules executes what
    /// the new ones ask more of.
    private static func redecide(
        _ tier: Tier, _ approvals: ApprovalRequirement?, at time: Timestamp, _ step: inout LifecycleStep,
        _ event: LifecycleEvent
    ) throws(LifecycleRefusal) {
        let review = try openReview(for: event, in: step.state)
        let reviewed = tier == .medium || tier == .high
        if reviewed {
            guard let approvals, !approvals.groups.isEmpty, approvals.groups.allSatisfy({ $0.count >= 1 }) else {
                throw refusal(.noApprovers, event, step.state, "a \(tier) decision needs at least one approver group")
            }
            let mode: ReviewMode = tier == .high ? .blocking : .parallel
            // The same kind of review with the same groups: it stands, votes and all.
            if (mode == review.mode || review.mode == .parallel), Set(approvals.groups) == Set(review.groups) {
                step.add(.recordDecision(tier))
                return
            }
        }
        step.add(.recordDecision(tier))
        switch review.mode {
        case .blocking:
            close(.cancelled, &step)
            switch tier {
            case .block:
                step.move(to: .rejected, .redecided)
            case .low:
                approve(.redecided, &step)
            case .medium:
                step.move(to: .approved, .redecided)
                openNew(.parallel, approvals, at: time, &step)
                goAhead(&step)
            case .high:
                openNew(.blocking, approvals, at: time, &step)
            }
        case .parallel:
            // The change already ran: a block undoes it; otherwise the review follows the new
            // requirement (no review for low).
            switch tier {
            case .block:
                close(.rejected, &step)
                undoParallel(.reviewRejected, &step)
            case .low:
                close(.cancelled, &step)
            case .medium, .high:
                close(.cancelled, &step)
                openNew(.parallel, approvals, at: time, &step)
            }
        }
    }

    private static func openNew(_ mode: ReviewMode, _ approvals: ApprovalRequirement?, at time: Timestamp, _ step: inout LifecycleStep) {
        guard let approvals else { return }
        step.state.review = ReviewState(mode: mode, requirement: approvals, openedAt: time)
        step.add(.openReview(mode, approvals))
    }

    /// The review's groups `reviewer` may act for: never the submitter nor anyone accountable
    /// for it (separation of duties), and only in a pool the review needs.
    private static func eligible(
        _ reviewer: String, pools: Set<String>, in review: ReviewState, _ state: LifecycleState, _ event: LifecycleEvent
    ) throws(LifecycleRefusal) -> [ApprovalGroup] {
        guard reviewer != state.submitter else {
            throw refusal(.submitterCannotVote, event, state, "'\(reviewer)' submitted the mutation and cannot review it: separation of duties")
        }
        if let i = state.owners.firstIndex(of: reviewer) {
            let chain = ([state.submitter] + state.owners[...i]).joined(separator: " → ")
            throw refusal(
                .submitterCannotVote, event, state,
                "'\(reviewer)' is accountable for '\(state.submitter)', which submitted the mutation (owners: \(chain)), and cannot review it: separation of duties")
        }
        if reviewer == state.reviser {
            throw refusal(
                .submitterCannotVote, event, state,
                "'\(reviewer)' wrote this revision's values and cannot review it: separation of duties")
        }
        let eligible = review.groups.filter { pools.contains($0.pool) }
        guard !eligible.isEmpty else {
            let needed = review.groups.map(\.pool).joined(separator: ", ")
            throw refusal(.notInPool, event, state, "'\(reviewer)' is not in the pool this review needs (\(needed))")
        }
        return eligible
    }

    /// Closes the open review when its votes decide it, and moves the mutation accordingly.
    private static func settle(_ step: inout LifecycleStep) {
        guard let review = step.state.review, review.status == .open else { return }
        if review.rejected {
            close(.rejected, &step)
            switch review.mode {
            case .blocking: step.move(to: .rejected, .reviewRejected)
            case .parallel: undoParallel(.reviewRejected, &step)
            }
        } else if review.quorumMet {
            close(.approved, &step)
            if review.mode == .blocking { approve(.reviewApproved, &step) }
        }
    }

    private static func close(_ outcome: ReviewStatus, _ step: inout LifecycleStep) {
        step.state.review?.status = outcome
        step.add(.closeReview(outcome))
    }

    /// A parallel review ended against a change that already ran: undone now if it is applied; if
    /// it is still being applied, the executor's answer undoes it (``finishExecution(_:_:)``).
    private static func undoParallel(_ cause: RollbackCause, _ step: inout LifecycleStep) {
        if step.state.status == .executed, step.state.executor == .airlock {
            beginRollback(cause, &step)
        } else if step.state.status == .approved, step.state.executor == .caller {
            // The caller has not reported applying it: it must not now. Its report is refused.
            step.move(to: .rejected, .reviewRejected)
        }
    }

    private static func timeOut(at time: Timestamp, _ step: inout LifecycleStep, _ event: LifecycleEvent)
        throws(LifecycleRefusal)
    {
        let review = try openReview(for: event, in: step.state)
        guard let deadline = review.deadline, deadline <= time else {
            let due = review.deadline.map { "is due at \($0.seconds)s" } ?? "has no deadline"
            throw refusal(.notDue, event, step.state, "the review \(due), not yet at \(time.seconds)s")
        }
        if let next = review.escalateTo, review.escalations == 0 {
            let groups = [ApprovalGroup(pool: next, count: review.groups.map(\.count).max() ?? 1)]
            let newDeadline = review.slaSeconds.map { time.adding(seconds: $0) }
            step.state.review?.groups = groups
            step.state.review?.escalations += 1
            step.state.review?.deadline = newDeadline
            step.add(.escalateReview(groups, deadline: newDeadline))
            return
        }
        // No timeout approves: a blocking review ends its mutation unexecuted whatever its
        // action says; a parallel one keeps the change unless told to roll it back.
        switch review.mode {
        case .blocking:
            close(.expired, &step)
            if review.onTimeout == .reject {
                step.move(to: .rejected, .timedOut(.reject))
            } else {
                step.move(to: .expired, .timedOut(.expire))
            }
        case .parallel:
            // `reject` on a parallel review is how decisions stored before `rollback` existed
            // said "roll it back": it still does.
            if review.onTimeout == .rollback || review.onTimeout == .reject {
                close(.expired, &step)
                undoParallel(.reviewExpired, &step)
            } else {
                close(.unreviewed, &step)
            }
        }
    }

    // MARK: Executing and undoing

    private static func finishExecution(_ result: ExecutorResult, _ step: inout LifecycleStep) {
        switch result {
        case .applied(let verification):
            step.move(to: .executed, .executed(verification))
            if case .mismatch(let what) = verification {
                step.add(.raiseAlarm(.verificationFailed(what)))
                // An irreversible change is not undone automatically: the alarm calls a person.
                if step.state.reversible { beginRollback(.verificationFailed(what), &step) }
            } else if let review = step.state.review, review.mode == .parallel,
                review.status == .rejected || review.status == .expired
            {
                beginRollback(.reviewRejectedWhileExecuting, &step)
            }
        case .conflict(let reason):
            step.move(to: .failed, .executionFailed("precondition failed: \(reason)"))
        case .failed(let reason):
            step.move(to: .failed, .executionFailed(reason))
        case .undetermined:
            break
        }
    }

    private static func beginRollback(_ cause: RollbackCause, _ step: inout LifecycleStep) {
        step.state.rollbackAttempts += 1
        step.move(to: .rollingBack, .rollbackBegun(cause))
        step.add(.rollBack(cause))
    }

    // MARK: Checks

    private static func expect(_ status: MutationStatus, for event: LifecycleEvent, in state: LifecycleState)
        throws(LifecycleRefusal)
    {
        guard state.status == status else {
            throw refusal(.wrongStatus, event, state, "the mutation is \(state.status); \(event.name) applies only when it is \(status)")
        }
    }

    private static func openReview(for event: LifecycleEvent, in state: LifecycleState) throws(LifecycleRefusal) -> ReviewState {
        guard let review = state.review, review.status == .open else {
            throw refusal(.notAwaitingReview, event, state, "the mutation is not awaiting review (status \(state.status))")
        }
        if review.mode == .blocking, state.status != .pendingReview {
            throw refusal(.wrongStatus, event, state, "the mutation is \(state.status), not pending_review, under a blocking review")
        }
        return review
    }

    private static func refusal(_ code: LifecycleRefusal.Code, _ event: LifecycleEvent, _ state: LifecycleState, _ message: String)
        -> LifecycleRefusal
    {
        LifecycleRefusal(code, status: state.status, event: event.name, message: message)
    }
}
