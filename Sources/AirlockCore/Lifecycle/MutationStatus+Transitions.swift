/// The mutation lifecycle as a pure state machine (DESIGN.md, "States of a mutation"):
///
/// ```
/// received ─► rejected                      (invalid, or tier block)
/// received ─► approved ─► executing ─► executed | failed
///              approved ─► rejected          (a caller-executed change whose parallel review rejected it before its report)
/// received ─► pending_review ─► approved ─► …     (high)
///                           └─► rejected | expired | superseded (a reviewer asked for changes)
/// executed ─► rolling_back ─► rolled_back   (medium review rejected, verification failed, manual)
///              rolling_back ─► executed      (the rollback was refused or failed: the change stands)
/// ```
///
/// The addition to DESIGN.md is `rolling_back → executed`: a rollback that was refused (someone
/// changed the target since) or failed wrote nothing, so the change stands, with an alarm
/// (`rollback_refused`, `rollback_failed`) for a person, and it may be asked again. What each
/// event does is ``Lifecycle/handle(_:in:)``'s. Escalating a review is not a
/// status change (the mutation stays `pending_review`); it is an audit event. Nothing leaves
/// `failed`, `rejected`, `expired`, `rolled_back` or `superseded`.
extension MutationStatus {
    /// The statuses this one may move to.
    public var successors: Set<MutationStatus> {
        switch self {
        case .received: [.rejected, .approved, .pendingReview]
        case .pendingReview: [.approved, .rejected, .expired, .superseded]
        case .approved: [.executing, .rejected]
        case .executing: [.executed, .failed]
        case .executed: [.rollingBack]
        case .rollingBack: [.rolledBack, .executed]
        case .failed, .rejected, .expired, .rolledBack, .superseded: []
        }
    }

    /// Whether the lifecycle allows moving from this status to `next`.
    public func canTransition(to next: MutationStatus) -> Bool {
        successors.contains(next)
    }

    /// A status nothing leaves.
    public var isFinal: Bool {
        successors.isEmpty
    }

    /// Checks a move against the lifecycle.
    ///
    /// - Returns: the transition, when it is allowed.
    /// - Throws: ``MutationTransitionError`` naming both statuses and what would be allowed instead.
    public func transition(to next: MutationStatus) throws(MutationTransitionError) -> MutationTransition {
        guard canTransition(to: next) else {
            throw MutationTransitionError(from: self, to: next)
        }
        return MutationTransition(uncheckedFrom: self, to: next)
    }
}

/// One allowed move of the mutation lifecycle; only ``MutationStatus/transition(to:)`` makes one.
public struct MutationTransition: Sendable, Hashable, CustomStringConvertible {
    /// The status before the move.
    public let from: MutationStatus
    /// The status after the move.
    public let to: MutationStatus

    fileprivate init(uncheckedFrom from: MutationStatus, to: MutationStatus) {
        self.from = from
        self.to = to
    }

    /// Every transition the lifecycle allows.
    public static var all: [MutationTransition] {
        MutationStatus.allCases.flatMap { from in
            MutationStatus.allCases.filter(from.canTransition(to:)).map {
                MutationTransition(uncheckedFrom: from, to: $0)
            }
        }
    }

    public var description: String { "\(from) → \(to)" }
}

/// A move the mutation lifecycle does not allow, such as `rejected → approved` or
/// `executing → executing`.
public struct MutationTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status the mutation is in.
    public let from: MutationStatus
    /// The status that was asked for.
    public let to: MutationStatus

    /// The error for a move from `from` to `to`.
    public init(from: MutationStatus, to: MutationStatus) {
        self.from = from
        self.to = to
    }

    public var description: String {
        let allowed = from.successors.map(\.rawValue).sorted()
        let instead = allowed.isEmpty ? "\(from) is final" : "allowed from \(from): \(allowed.joined(separator: ", "))"
        return "a mutation cannot move from \(from) to \(to) (\(instead))"
    }
}
