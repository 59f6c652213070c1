import AirlockCore
import Foundation

/// How many mutations made one status move within one time bucket: what the engine seeds its
/// rolling counters (`system.rollback_rate_1h`) from at start-up.
public struct MoveCount: Sendable, Hashable {
    /// The start of the bucket.
    public var bucketStart: Date
    /// The moves in the bucket.
    public var count: Int

    /// A count.
    public init(bucketStart: Date, count: Int) {
        self.bucketStart = bucketStart
        self.count = count
    }
}

/// How many mutations were decided at one tier within one time bucket: what the dashboard's
/// decisions per tier are counted from.
public struct TierCount: Sendable, Hashable {
    /// The start of the bucket.
    public var bucketStart: Date
    /// The tier (`low`, `medium`, `high`, `block`); `nil` for mutations refused before a decision.
    public var tier: String?
    /// The mutations in the bucket at that tier.
    public var count: Int

    /// A count.
    public init(bucketStart: Date, tier: String?, count: Int) {
        self.bucketStart = bucketStart
        self.tier = tier
        self.count = count
    }
}
