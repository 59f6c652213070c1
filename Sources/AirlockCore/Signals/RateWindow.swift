/// A count of events over a sliding window, kept in fixed buckets: `buckets` buckets of
/// `bucketSeconds` each. The count covers the current bucket and the `buckets - 1` before it, so a
/// one-minute window of one-second buckets is exact to the second.
///
/// Besides the buckets it keeps the total of the window that ends at the newest bucket, so that a
/// count at or after the newest event reads that total and subtracts only the buckets that slid
/// out since (none, when counting within the same bucket) instead of summing every bucket. Saved
/// as `bucketSeconds`, `bucketCount` and the `filled` buckets only (an idle window is a few
/// bytes, not one entry per bucket); the total is recomputed when read back. A window saved with
/// every bucket (`buckets`, as before) reads back too.
public struct RateWindow: Sendable, Hashable, Codable {
    /// The width of a bucket, in seconds.
    public let bucketSeconds: Int64
    /// The bucket (time / bucketSeconds) each slot counts, and its count.
    private var buckets: [Bucket]
    /// The newest bucket holding an event (`Int64.min` when none).
    private var newest = Int64.min
    /// The events in the buckets `newest - buckets.count + 1 ... newest`.
    private var total = 0

    private struct Bucket: Sendable, Hashable, Codable {
        var stamp: Int64
        var count: Int32
    }

    private enum CodingKeys: String, CodingKey {
        case bucketSeconds, bucketCount, filled
        /// Every bucket, empty ones included: how a window was saved before `filled`.
        case buckets
    }

    /// The most buckets a saved window may claim: a corrupted state must not allocate without
    /// bound.
    private static let savedBucketLimit = 1 << 16

    public init(bucketSeconds: Int64, buckets: Int) {
        precondition(bucketSeconds > 0 && buckets > 0)
        self.bucketSeconds = bucketSeconds
        self.buckets = Array(repeating: Bucket(stamp: Int64.min, count: 0), count: buckets)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bucketSeconds = try container.decode(Int64.self, forKey: .bucketSeconds)
        if let all = try container.decodeIfPresent([Bucket].self, forKey: .buckets) {
            buckets = all
        } else {
            let count = try container.decode(Int.self, forKey: .bucketCount)
            guard count > 0, count <= Self.savedBucketLimit else {
                throw DecodingError.dataCorruptedError(
                    forKey: .bucketCount, in: container,
                    debugDescription: "a saved rate window has 1 to \(Self.savedBucketLimit) buckets, not \(count)")
            }
            buckets = Array(repeating: Bucket(stamp: Int64.min, count: 0), count: count)
            for bucket in try container.decode([Bucket].self, forKey: .filled) where bucket.stamp != Int64.min {
                // Each in its slot; of two claiming one slot (a hand-edited state), the newer.
                let i = slot(of: bucket.stamp)
                if buckets[i].stamp < bucket.stamp { buckets[i] = bucket }
            }
        }
        guard bucketSeconds > 0, !buckets.isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .buckets, in: container, debugDescription: "a rate window needs buckets of a positive width")
        }
        newest = buckets.lazy.filter { $0.count > 0 }.map(\.stamp).max() ?? Int64.min
        total = newest == Int64.min ? 0 : sum(endingAt: newest)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bucketSeconds, forKey: .bucketSeconds)
        try container.encode(buckets.count, forKey: .bucketCount)
        // Every bucket ever written sits in its slot (`slot(of: stamp)`), so the slots are implied.
        try container.encode(buckets.filter { $0.stamp != Int64.min }, forKey: .filled)
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

    /// The count of `bucket` if its slot still holds it, else 0.
    private func count(ofBucket bucket: Int64) -> Int {
        let b = buckets[slot(of: bucket)]
        return b.stamp == bucket ? Int(b.count) : 0
    }

    /// Records one event at `seconds` (since the epoch).
    public mutating func record(at seconds: Int64) {
        record(at: seconds, count: 1)
    }

    /// Records `count` events at `seconds` (since the epoch): a window seeded from stored
    /// per-bucket counts takes each bucket in one call.
    public mutating func record(at seconds: Int64, count: Int) {
        guard count > 0 else { return }
        let added = Int32(clamping: count)
        let b = bucket(of: seconds)
        let width = UInt64(buckets.count)
        // Differences are taken as unsigned wrapping ones, exact for any two stamps in order: a
        // saved state with absurd stamps must not trap.
        if b > newest {
            // The window slides forward: what leaves it leaves the total.
            let gap = UInt64(bitPattern: b &- newest)
            if newest == Int64.min || gap >= width {
                total = 0
            } else {
                total -= leaving(gap)
            }
            newest = b
        }
        let i = slot(of: b)
        if buckets[i].stamp != b {
            // An older bucket is overwritten; a newer one (an event recorded out of order, older
            // than the window) is dropped.
            if buckets[i].stamp > b { return }
            buckets[i] = Bucket(stamp: b, count: 0)
        }
        buckets[i].count &+= added
        if UInt64(bitPattern: newest &- b) < width { total += Int(added) }
    }

    /// The events of the `gap` oldest buckets of the window ending at ``newest``: what leaves the
    /// total when the window moves `gap` buckets forward (`gap` < the number of buckets).
    private func leaving(_ gap: UInt64) -> Int {
        let oldest = newest &- Int64(buckets.count) &+ 1
        var sum = 0
        for k in 0..<Int64(gap) { sum += count(ofBucket: oldest &+ k) }
        return sum
    }

    /// The events in the window that ends at `seconds`.
    public func count(at seconds: Int64) -> Int {
        let current = bucket(of: seconds)
        guard newest != Int64.min else { return 0 }
        guard current >= newest else { return sum(endingAt: current) }
        let gap = UInt64(bitPattern: current &- newest)
        if gap >= UInt64(buckets.count) { return 0 }
        // The newest window's total, less its buckets older than this window's oldest.
        return total - leaving(gap)
    }

    /// The events in the buckets `current - buckets.count + 1 ... current`, summed.
    private func sum(endingAt current: Int64) -> Int {
        let oldest = current &- Int64(buckets.count) &+ 1
        let width = UInt64(buckets.count)
        return buckets.withUnsafeBufferPointer { buckets in
            // `oldest <= stamp <= current` as one unsigned comparison, and no branch per bucket.
            var total = 0
            for bucket in buckets {
                let inWindow = UInt64(bitPattern: bucket.stamp &- oldest) < width
                total &+= inWindow ? Int(bucket.count) : 0
            }
            return total
        }
    }

    /// The buckets that hold counts, oldest first: (bucket number, count).
    var filledBuckets: [(stamp: Int64, count: Int)] {
        buckets.filter { $0.stamp != Int64.min && $0.count > 0 }.sorted { $0.stamp < $1.stamp }.map { ($0.stamp, Int($0.count)) }
    }

    /// The time of the newest bucket, to let a caller prune idle windows (clamped for a saved
    /// window with absurd stamps).
    public var newestBucketStart: Int64? {
        guard newest != Int64.min else { return nil }
        let (start, overflow) = newest.multipliedReportingOverflow(by: bucketSeconds)
        return overflow ? (newest < 0 ? Int64.min : Int64.max) : start
    }
}
