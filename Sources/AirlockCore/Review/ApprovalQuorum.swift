/// Whether distinct approvers complete an approval requirement of several groups.
///
/// Each approver counts once, for one group of a pool they belong to. Counting each vote for the
/// pool it happened to name is not enough: with `finance ×1, legal ×1`, a reviewer in both pools
/// who approves first and counts for finance, then a reviewer only in finance, leave legal empty
/// although moving the first to legal completes both. So this looks for an assignment of
/// approvers to places that fills every group (a bipartite matching, by augmenting paths).
public enum ApprovalQuorum {
    /// True when the approvers, each given with the pools they may count for, can fill every
    /// group's count. Groups of count 0 or less need nobody; no groups at all are met.
    public static func isMet(_ groups: [ApprovalGroup], approvers: [Set<String>]) -> Bool {
        var places: [String] = []
        for group in groups where group.count > 0 {
            places.append(contentsOf: repeatElement(group.pool, count: group.count))
        }
        guard places.count <= approvers.count else { return false }
        var holder = [Int?](repeating: nil, count: places.count)
        var filled = 0
        for approver in approvers.indices {
            var seen = [Bool](repeating: false, count: places.count)
            if assign(approver, approvers, places, &holder, &seen) { filled += 1 }
            if filled == places.count { return true }
        }
        return filled == places.count
    }

    /// Finds a place for `approver`, moving earlier approvers to other places of theirs if need be.
    private static func assign(
        _ approver: Int, _ approvers: [Set<String>], _ places: [String], _ holder: inout [Int?], _ seen: inout [Bool]
    ) -> Bool {
        for place in places.indices where !seen[place] && approvers[approver].contains(places[place]) {
            seen[place] = true
            if holder[place] == nil || assign(holder[place]!, approvers, places, &holder, &seen) {
                holder[place] = approver
                return true
            }
        }
        return false
    }
}
