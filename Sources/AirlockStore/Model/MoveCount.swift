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
