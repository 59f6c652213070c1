import AirlockCore
import Foundation

/// Drift between two distributions of decisions (tiers, data classes or score bands of one
/// resource): the population stability index, and what moved most.
public enum Drift {
    /// What a check found for one resource and dimension.
    public struct Finding: Sendable, Hashable {
        public var resource: String
        /// `tier`, `class` or `score`.
        public var dimension: String
        /// The population stability index of the window against the reference.
        public var index: Double
        /// The bucket whose share moved most, with its share in the reference and in the window.
        public var bucket: String
        public var referenceShare: Double
        public var windowShare: Double
        public var referenceCount: Int
        public var windowCount: Int

        /// "high 5.0% → 40.0%".
        public var moved: String {
            "\(bucket) \(Self.percent(referenceShare)) → \(Self.percent(windowShare))"
        }

        static func percent(_ share: Double) -> String {
            let tenths = (share * 1000).rounded()
            return "\(Int(tenths) / 10).\(Int(tenths) % 10)%"
        }
    }

    /// The population stability index Σ (w − r) · ln(w / r) over the buckets of both, with shares
    /// smoothed by half a count so that a bucket empty on one side stays finite. 0 when either
    /// side is empty. Under 0.1 is usually read as stable, over 0.25 as a real shift.
    public static func stabilityIndex(reference: [String: Int], window: [String: Int]) -> Double {
        let buckets = Set(reference.keys).union(window.keys)
        let r = Double(reference.values.reduce(0, +))
        let w = Double(window.values.reduce(0, +))
        guard r > 0, w > 0 else { return 0 }
        let n = Double(buckets.count)
        var index = 0.0
        for bucket in buckets {
            let rs = (Double(reference[bucket] ?? 0) + 0.5) / (r + 0.5 * n)
            let ws = (Double(window[bucket] ?? 0) + 0.5) / (w + 0.5 * n)
            index += (ws - rs) * log(ws / rs)
        }
        return index
    }

    /// The finding for one resource and dimension.
    public static func compare(resource: String, dimension: String, reference: [String: Int], window: [String: Int]) -> Finding {
        let r = reference.values.reduce(0, +)
        let w = window.values.reduce(0, +)
        var moved = (bucket: "", from: 0.0, to: 0.0)
        for bucket in Set(reference.keys).union(window.keys).sorted() {
            let from = r == 0 ? 0 : Double(reference[bucket] ?? 0) / Double(r)
            let to = w == 0 ? 0 : Double(window[bucket] ?? 0) / Double(w)
            if abs(to - from) > abs(moved.to - moved.from) { moved = (bucket, from, to) }
        }
        return Finding(
            resource: resource, dimension: dimension, index: stabilityIndex(reference: reference, window: window), bucket: moved.bucket,
            referenceShare: moved.from, windowShare: moved.to, referenceCount: r, windowCount: w)
    }

    /// What a check found for one pool's reviewer latency: the median time from a review's
    /// opening to each vote, in the reference and in the window.
    public struct LatencyFinding: Sendable, Hashable {
        public var pool: String
        public var referenceMedianSeconds: Double
        public var windowMedianSeconds: Double
        public var referenceCount: Int
        public var windowCount: Int

        /// How many times slower (above 1) or faster (below 1) the window's median is.
        public var ratio: Double {
            windowMedianSeconds / max(referenceMedianSeconds, 1)
        }

        /// Whether the median moved by at least `factor` either way (slower or faster: reviews
        /// read much faster than before are as telling as a queue left waiting).
        public func moved(by factor: Double) -> Bool {
            ratio >= factor || ratio <= 1 / factor
        }

        /// "median time to decide 40 s → 6.5 min".
        public var moved: String {
            "median time to decide \(Self.seconds(referenceMedianSeconds)) → \(Self.seconds(windowMedianSeconds))"
        }

        static func seconds(_ value: Double) -> String {
            value < 120 ? "\(Int(value.rounded())) s" : "\(Int((value / 6).rounded()) / 10).\(Int((value / 6).rounded()) % 10) min"
        }
    }

    /// The latency finding for one pool, from the seconds each vote took in both windows; `nil`
    /// when either side has no votes.
    public static func compareLatency(pool: String, reference: [Double], window: [Double]) -> LatencyFinding? {
        guard let r = Percentile.nearestRank(reference, 0.5), let w = Percentile.nearestRank(window, 0.5) else { return nil }
        return LatencyFinding(
            pool: pool, referenceMedianSeconds: r, windowMedianSeconds: w, referenceCount: reference.count, windowCount: window.count)
    }

    /// The score band a decision's score falls in: `<0`, `0-29`, `30-59`, `60-99`, `100+`.
    public static func scoreBand(_ score: Int) -> String {
        switch score {
        case ..<0: "<0"
        case 0..<30: "0-29"
        case 30..<60: "30-59"
        case 60..<100: "60-99"
        default: "100+"
        }
    }
}
