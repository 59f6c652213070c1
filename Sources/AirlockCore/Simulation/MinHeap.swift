/// A binary min-heap of times (milliseconds): the reviewers' next free moments, the finish times
/// of queued approvals, the closing times of open reviews.
struct MinHeap: Sendable {
    private var items: [Int64] = []

    init() {}

    /// The heap of `count` equal times.
    init(repeating time: Int64, count: Int) {
        items = [Int64](repeating: time, count: count)
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var min: Int64? { items.first }

    mutating func push(_ time: Int64) {
        items.append(time)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popMin() -> Int64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { break }
            let right = left + 1
            let child = right < items.count && items[right] < items[left] ? right : left
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            parent = child
        }
        return first
    }

    /// Removes every time at or before `time`.
    mutating func removeAll(through time: Int64) {
        while let first = items.first, first <= time { popMin() }
    }
}
