@testable import AirlockEngine
import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

/// Which signs are in alarm: in memory for one instance, in the store when several share it, so
/// that of several instances checking the same window only one raises each alarm.
@Suite struct SharedAlarmStateTests {
    @Test func settlingRaisesOnlyWhatEntersTheAlarm() {
        var state: Set<String> = ["a"]
        #expect(Gateway.settle(&state, [("a", true), ("b", true), ("c", false)], exclusive: false) == ["b"])
        #expect(state == ["a", "b"])
        #expect(Gateway.settle(&state, [("a", false)], exclusive: false).isEmpty)
        #expect(state == ["b"])
        // Exclusive: what is not listed has left the alarm, and can enter it again later.
        #expect(Gateway.settle(&state, [("c", true)], exclusive: true) == ["c"])
        #expect(state == ["c"])
        #expect(Gateway.settle(&state, [("b", true), ("c", true)], exclusive: true) == ["b"])
    }

    @Test func twoInstancesOnOneDatabaseRaiseEachAlarmOnce() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        func instance() async throws -> (Gateway, PostgresStore) {
            let store = try await PostgresStore(
                url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil, migrate: true))
            return (Gateway(store: store, principals: PrincipalDirectory()), store)
        }
        let (first, firstStore) = try await instance()
        let (second, secondStore) = try await instance()
        let signs: [(key: String, inAlarm: Bool)] = [("catalog.product\u{0}tier", true), ("payments.transfer\u{0}tier", false)]
        // Both check the same window at once: one of them raises the shifted resource.
        async let one = first.settleAlarms("drift", signs) { _ in Issue.record("kept in memory on a shared store"); return [] }
        async let two = second.settleAlarms("drift", signs) { _ in Issue.record("kept in memory on a shared store"); return [] }
        let raised = try await [one, two]
        #expect(raised.map(\.count).sorted() == [0, 1], "\(raised)")
        #expect(raised.flatMap { $0 } == ["catalog.product\u{0}tier"])
        // Still shifted an hour later: nobody raises it again; once back, it can be raised anew.
        #expect(try await first.settleAlarms("drift", signs) { _ in [] }.isEmpty)
        #expect(try await second.settleAlarms("drift", [("catalog.product\u{0}tier", false)]) { _ in [] }.isEmpty)
        #expect(try await first.settleAlarms("drift", signs) { _ in [] } == ["catalog.product\u{0}tier"])
        try await firstStore.close()
        try await secondStore.close()
    }
}
