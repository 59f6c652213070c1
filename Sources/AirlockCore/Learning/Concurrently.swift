/// Work over a long array split into contiguous slices run as concurrent tasks: replay reads and
/// decides each recorded case independently, so it uses every core the caller offers.
enum Concurrently {
    /// `transform` applied to each slice of `items` (at most `tasks` slices of nearly equal
    /// length), the results in slice order.
    static func mapSlices<Item: Sendable, Result: Sendable>(
        _ items: [Item], tasks: Int, _ transform: @escaping @Sendable (ArraySlice<Item>) -> Result
    ) async -> [Result] {
        let tasks = max(1, min(tasks, items.count / minimumSlice))
        guard tasks > 1 else { return [transform(items[...])] }
        let size = (items.count + tasks - 1) / tasks
        return await withTaskGroup(of: (Int, Result).self) { group in
            for slice in 0..<tasks {
                let range = (slice * size)..<min(items.count, (slice + 1) * size)
                group.addTask { (slice, transform(items[range])) }
            }
            var results: [(Int, Result)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Slices shorter than this are not worth a task of their own.
    static let minimumSlice = 1_000
}
