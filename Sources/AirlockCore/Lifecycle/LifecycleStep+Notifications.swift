/// One notification a lifecycle step implies: its kind, the status it speaks of, and a detail
/// for people (what did not match, to whom a review went).
public struct StepNotification: Sendable, Hashable {
    public var kind: NotificationKind
    /// The status the event is about: the status a move reached (`approved` for `decided`, even
    /// when the same step goes on to `executing`), or the status at the effect.
    public var status: MutationStatus
    /// What happened, in a few words, when the kind alone does not say it.
    public var detail: String?

    public init(kind: NotificationKind, status: MutationStatus, detail: String? = nil) {
        self.kind = kind
        self.status = status
        self.detail = detail
    }
}

extension LifecycleStep {
    /// The notifications this step implies, in the order of its entries, each kind at most once:
    ///
    /// - `openReview` → `review_opened`; `escalateReview` → `escalated`;
    /// - a move to `approved` or `rejected` (by policy, by the review, by a timeout) → `decided`;
    /// - a move to `expired`, or a parallel review closed as expired or unreviewed → `expired`;
    /// - a move to `rolled_back` → `rolled_back`; a move to `superseded` → `superseded`;
    /// - `raiseAlarm(.verificationFailed)` → `verification_failed`.
    ///
    /// Pure: the engine writes one outbox event per item in the same change as the step.
    public var notifications: [StepNotification] {
        var result: [StepNotification] = []
        var status = entries.lazy.compactMap { if case .move(let move) = $0 { move.from } else { nil } }.first ?? state.status
        func add(_ kind: NotificationKind, _ status: MutationStatus, _ detail: String? = nil) {
            guard !result.contains(where: { $0.kind == kind }) else { return }
            result.append(StepNotification(kind: kind, status: status, detail: detail))
        }
        for entry in entries {
            switch entry {
            case .move(let move):
                status = move.to
                switch move.to {
                case .approved, .rejected: add(.decided, move.to, Self.reason(move.cause))
                case .expired: add(.expired, move.to)
                case .rolledBack: add(.rolledBack, move.to)
                case .superseded: add(.superseded, move.to, "a reviewer asked for changes")
                default: break
                }
            case .effect(.openReview(let mode, let requirement)):
                add(.reviewOpened, status, "\(mode.rawValue) review: " + Self.describe(requirement.groups))
            case .effect(.escalateReview(let groups, _)):
                add(.escalated, status, Self.describe(groups))
            case .effect(.closeReview(.expired)):
                add(.expired, status)
            case .effect(.closeReview(.unreviewed)):
                add(.expired, status, "closed unreviewed; the change stays")
            case .effect(.raiseAlarm(.verificationFailed(let what))):
                add(.verificationFailed, status, what)
            case .effect:
                break
            }
        }
        return result
    }

    /// `2 from finance and 1 from security`.
    private static func describe(_ groups: [ApprovalGroup]) -> String {
        groups.map { "\($0.count) from \($0.pool)" }.joined(separator: " and ")
    }

    /// Who or what decided a move to approved or rejected.
    private static func reason(_ cause: MoveCause) -> String? {
        switch cause {
        case .invalid: "invalid"
        case .decided: "by policy"
        case .reviewApproved, .reviewRejected: "by its reviewers"
        case .timedOut(let onTimeout): "on timeout (\(onTimeout.rawValue))"
        case .redecided: "by a new policy version"
        default: nil
        }
    }
}
