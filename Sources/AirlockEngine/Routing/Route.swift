import AirlockCore
import AirlockStore

/// Where a decided mutation goes: its next status, and the review it needs.
///
/// low → approved; medium → approved with a review in parallel; high → pending_review until the
/// approvals arrive; block → rejected. A medium-tier mutation of an irreversible resource is
/// treated as high: nothing irreversible runs before a human has looked.
public struct Route: Sendable, Equatable {
    public var status: MutationStatus
    /// The review to open, if any.
    public var reviewMode: ReviewMode?
    /// The tier the routing acted on (medium becomes high for irreversible resources).
    public var effectiveTier: Tier

    public static func of(_ decision: Decision) -> Route {
        switch decision.tier {
        case .low:
            return Route(status: .approved, reviewMode: nil, effectiveTier: .low)
        case .medium where !decision.reversible:
            return Route(status: .pendingReview, reviewMode: .blocking, effectiveTier: .high)
        case .medium:
            return Route(status: .approved, reviewMode: .parallel, effectiveTier: .medium)
        case .high:
            return Route(status: .pendingReview, reviewMode: .blocking, effectiveTier: .high)
        case .block:
            return Route(status: .rejected, reviewMode: nil, effectiveTier: .block)
        }
    }
}
