import AirlockStore
import Foundation
import Synchronization

extension Gateway {
    /// Records which signs of one kind of alarm (`drift`, `oversight`) are in alarm now and
    /// returns those that just entered it: the alarms to raise. `signs` says, per key, whether it
    /// is in alarm; with `exclusive`, every key not listed has left it.
    ///
    /// On a store shared by several instances the state is kept in the store (read, changed and
    /// written in one write transaction, under the key `alarms.KIND`), so that of the instances
    /// checking the same window only one raises each alarm, and a restart does not raise a
    /// standing one again. Otherwise it is `local`, this instance's memory.
    func settleAlarms(
        _ kind: String, _ signs: [(key: String, inAlarm: Bool)], exclusive: Bool = false,
        local: (((inout Set<String>) -> Set<String>) -> Set<String>)
    ) async throws -> Set<String> {
        guard store.isShared else {
            return local { Self.settle(&$0, signs, exclusive: exclusive) }
        }
        let raised = Mutex<Set<String>>([])
        _ = try await store.mergeSignalState(key: "alarms.\(kind)", at: clock.now()) { stored in
            var state = Set((stored.flatMap { try? JSONDecoder().decode([String].self, from: $0) }) ?? [])
            let new = Self.settle(&state, signs, exclusive: exclusive)
            raised.withLock { $0 = new }
            return try JSONEncoder().encode(state.sorted())
        }
        return raised.withLock { $0 }
    }

    /// Applies `signs` to the set in alarm; returns the keys that entered it.
    static func settle(_ state: inout Set<String>, _ signs: [(key: String, inAlarm: Bool)], exclusive: Bool) -> Set<String> {
        if exclusive { state.formIntersection(signs.filter(\.inAlarm).map(\.key)) }
        var raised: Set<String> = []
        for sign in signs {
            if sign.inAlarm {
                if state.insert(sign.key).inserted { raised.insert(sign.key) }
            } else {
                state.remove(sign.key)
            }
        }
        return raised
    }
}
