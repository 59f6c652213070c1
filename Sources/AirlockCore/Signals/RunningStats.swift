/// Running mean and variance of a stream of numbers (Welford's algorithm): constant memory,
/// numerically stable.
public struct RunningStats: Sendable, Hashable, Codable {
    /// How many values were added.
    public private(set) var count: Int = 0
    /// Their mean.
    public private(set) var mean: Double = 0
    /// The sum of squared differences from the mean.
    private var m2: Double = 0

    /// How many observations a z-score needs before it is anything but 0.
    public static let minimumObservations = 20
    /// The largest magnitude a z-score takes (also its value when the history has no spread and
    /// the new value differs from it).
    public static let zScoreLimit = 1_000_000.0

    public init() {}

    /// Adds a value. Non-finite values, and values so large that the statistics would overflow,
    /// are ignored.
    public mutating func add(_ x: Double) {
        guard x.isFinite else { return }
        let newCount = count + 1
        let delta = x - mean
        let newMean = mean + delta / Double(newCount)
        let newM2 = m2 + delta * (x - newMean)
        guard newMean.isFinite, newM2.isFinite else { return }
        count = newCount
        mean = newMean
        m2 = newM2
    }

    /// The sample variance (n − 1); 0 below two values.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }

    /// The sample standard deviation.
    public var standardDeviation: Double { variance.squareRoot() }

    /// How many standard deviations `x` lies from the mean: 0 below
    /// ``minimumObservations`` or for a non-finite `x`; clamped to ±``zScoreLimit``.
    public func zScore(_ x: Double) -> Double {
        guard count >= Self.minimumObservations, x.isFinite else { return 0 }
        let deviation = standardDeviation
        let distance = x - mean
        if distance == 0 { return 0 }
        guard deviation > 0, deviation.isFinite else { return distance > 0 ? Self.zScoreLimit : -Self.zScoreLimit }
        let z = distance / deviation
        if z.isNaN { return 0 }
        return min(max(z, -Self.zScoreLimit), Self.zScoreLimit)
    }
}

extension RunningStats {
    /// Adds the observations summarised by `other`: the statistics of both sets together.
    public mutating func merge(_ other: RunningStats) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let n = Double(count + other.count)
        let delta = other.mean - mean
        let newMean = mean + delta * Double(other.count) / n
        let newM2 = m2 + other.m2 + delta * delta * Double(count) * Double(other.count) / n
        guard newMean.isFinite, newM2.isFinite else { return }
        count += other.count
        mean = newMean
        m2 = newM2
    }
}
