/// Percentiles of measured values, as the KPIs, insights and simulation reports quote them.
public enum Percentile {
    /// The nearest-rank percentile `p` (0…1) of `values`; `nil` when there are none.
    public static func nearestRank(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
