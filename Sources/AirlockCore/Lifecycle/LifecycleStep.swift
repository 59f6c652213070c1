/// What one event does to a mutation: the state after it, the status moves that lead there (in
/// order), and the effects the engine carries out.
public struct LifecycleStep: Sendable, Hashable {
    /// The state after the event.
    public internal(set) var state: LifecycleState
    /// The moves and effects in the order they happen: the engine writes them in this order, so
    /// that the audit log reads as the story (a vote, the review closing, the approval, the start
    /// of execution).
    public internal(set) var entries: [Entry] = []

    /// A status move or an effect.
    public enum Entry: Sendable, Hashable {
        case move(StatusMove)
        case effect(LifecycleEffect)
    }

    /// The status moves, in order; each is allowed by ``MutationStatus/successors`` and starts
    /// where the previous ended.
    public var moves: [StatusMove] {
        entries.compactMap { if case .move(let move) = $0 { move } else { nil } }
    }

    /// What to do besides moving the status, in order.
    public var effects: [LifecycleEffect] {
        entries.compactMap { if case .effect(let effect) = $0 { effect } else { nil } }
    }

    init(state: LifecycleState) {
        self.state = state
    }

    /// True when the event changed nothing (a verdict the executor cannot give yet, a recount
    /// that settles nothing).
    public var isEmpty: Bool { entries.isEmpty }

    /// Whether the engine must call the executor after the commit.
    public var executes: Bool { effects.contains(.execute) }

    mutating func move(to next: MutationStatus, _ cause: MoveCause) {
        precondition(state.status.canTransition(to: next), "lifecycle bug: \(state.status) → \(next)")
        entries.append(.move(StatusMove(from: state.status, to: next, cause: cause)))
        state.status = next
    }

    mutating func add(_ effect: LifecycleEffect) {
        entries.append(.effect(effect))
    }
}

/// One status move and why it happened: the engine records each as a transition with its audit
/// record (the kind follows from the cause).
public struct StatusMove: Sendable, Hashable, CustomStringConvertible {
    public var from: MutationStatus
    public var to: MutationStatus
    public var cause: MoveCause

    public var description: String { "\(from) → \(to)" }
}

/// Why a status moved.
public enum MoveCause: Sendable, Hashable {
    /// Triage found the submission invalid.
    case invalid
    /// Policy decided the route (to approved, pending review, or rejected when blocked).
    case decided
    /// The review's approvals are complete.
    case reviewApproved
    /// The review's rejections reached `reject_after`.
    case reviewRejected
    /// The deadline passed with no escalation left; `on_timeout` said what follows.
    case timedOut(OnTimeout)
    /// Handed to Airlock's executor (write-ahead).
    case executionBegun
    /// The caller reported its own execution.
    case outcomeReported
    /// The executor applied the change; the verification found this.
    case executed(Verification)
    /// The executor did not apply the change.
    case executionFailed(String)
    /// A rollback starts.
    case rollbackBegun(RollbackCause)
    /// The rollback restored the before-image.
    case rolledBack
    /// The rollback wrote nothing; the change stands.
    case rollbackRefused(String)
    /// The rollback failed; the change stands.
    case rollbackFailed(String)
    /// A reviewer asked for changes; a revision replaces the mutation.
    case superseded
    /// A newly activated policy version decided the mutation again.
    case redecided
}
