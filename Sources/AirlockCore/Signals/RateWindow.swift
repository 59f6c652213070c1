/// A count of events over a sliding window, kept in fixed buckets: `buckets` buckets of
/// `bucketSeconds` each. The count covers the current bucket and the `buckets - 1` before it, so a
/// one-minute window of one-second buckets is exact to the second.
public struct RateWindow: Sendable, Hashable, Codable {
    /// The width of a bucket, in seconds.
    public let bucketSeconds: Int64
    /// The bucket (time / bucketSeconds) each slot counts, and its count.
    private var buckets: [Bucket]

    private struct Bucket: Sendable, Hashable, Codable {
        var stamp: Int64
        var count: Int32
    }

    public init(bucketSeconds: Int64, buckets: Int) {
        precondition(bucketSeconds > 0 && buckets > 0)
        self.bucketSeconds = bucketSeconds
        self.buckets = Array(repeating: Bucket(stamp: Int64.min, count: 0), count: buckets)
    }

    /// Sixty one-second buckets.
    public static func minute() -> RateWindow { RateWindow(bucketSeconds: 1, buckets: 60) }
    /// Sixty one-minute buckets.
    public static func hour() -> RateWindow { RateWindow(bucketSeconds: 60, buckets: 60) }

    private func bucket(of seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / bucketSeconds : (seconds - bucketSeconds + 1) / bucketSeconds
    }

    private func slot(of bucket: Int64) -> Int {
        let n = Int64(buckets.count)
        return Int(((bucket % n) + n) % n)
    }

    /// Records one event at `seconds` (since the epoch).
    public mutating func record(at seconds: Int64) {
        let b = bucket(of: seconds)
        let i = slot(of: b)
        if buckets[i].stamp != b {
            // An older bucket is overwritten; a newer one (an event recorded out of order, older
            // than the window) is dropped.
            if buckets[i].stamp > b { return }
            buckets[i] = Bucket(stamp: b, count: 0)
        }
        buckets[i].count &+= 1
    }

    /// The events in the window that ends at `seconds`.
    public func count(at seconds: Int64) -> Int {
        let current = bucket(of: seconds)
        let oldest = current - Int64(buckets.count) + 1
        let width = UInt64(buckets.count)
        return buckets.withUnsafeBufferPointer { buckets in
            // `oldest <= stamp <= current` as one unsigned comparison, and no branch per bucket:
            // the sum over sixty buckets is on every decision.
            var total = 0
            for bucket in buckets {
                let inWindow = UInt64(bitPattern: bucket.stamp &- oldest) < width
                total &+= inWindow ? Int(bucket.count) : 0
            }
            return total
        }
    }

    /// The time of the newest bucket, to let a caller prune idle windows.
    public var newestBucketStart: Int64? {
        let newest = buckets.map(\.stamp).max() ?? Int64.min
        return newest == Int64.min ? nil : newest * bucketSeconds
    }
}
