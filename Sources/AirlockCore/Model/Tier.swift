/// How much human oversight a mutation gets, from none to never allowed.
///
/// Ordered: `low < medium < high < block`, so the tier of a decision is the maximum of the tiers
/// that apply.
public enum Tier: String, Sendable, Hashable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    /// Executes at once.
    case low
    /// Executes at once; a reviewer looks at it in parallel and may roll it back.
    case medium
    /// Waits for the required approvals before it executes.
    case high
    /// Never executes; rejected with the reasons.
    case block

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .block: 3
        }
    }

    public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}
