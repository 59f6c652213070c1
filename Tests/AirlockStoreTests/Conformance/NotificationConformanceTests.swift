import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: the notification outbox.
@Suite("Store conformance: notification outbox", .sharedResources)
struct NotificationConformanceTests {
    static let hooks = "http://127.0.0.1:9/hooks"
    static let chat = "http://127.0.0.1:9/chat"

    private func event(_ id: String, targets: [String] = [hooks, chat], mutation: String? = "m-1") -> NewNotification {
        NewNotification(id: id, kind: "decided", body: #"{"kind":"decided","text":"m-1 was approved"}"#, targets: targets, mutationID: mutation)
    }

    @Test("an event is written with the step that caused it, or not at all", arguments: StoreFactory.all)
    func sameTransaction(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        var change = StoreChange(at: subject.clock.now)
        change.createMutation(Fixtures.mutation("m-1"), audit: Fixtures.submitted())
        change.enqueueNotification(event("evt-1"))
        _ = try await store.apply(change)
        let written = try await store.notificationDeliveries(eventID: "evt-1")
        #expect(written.map(\.target) == [Self.chat, Self.hooks])
        #expect(written.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.nextAttemptAt == subject.clock.now })
        #expect(written.allSatisfy { $0.kind == "decided" && $0.mutationID == "m-1" && $0.body.contains("approved") })

        // A refused step takes its event with it.
        var refused = StoreChange(at: subject.clock.now)
        refused.transition("m-1", from: .executing, to: .executed, audit: Fixtures.audit(.executed))
        refused.enqueueNotification(event("evt-2"))
        #expect(await storeErrorCode { _ = try await store.apply(refused) } == .statusMismatch)
        #expect(try await store.notificationDeliveries(eventID: "evt-2").isEmpty)
        #expect(try await store.notificationDeliveries(mutationID: "m-1").map(\.eventID) == ["evt-1", "evt-1"])

        var twice = StoreChange(at: subject.clock.now)
        twice.enqueueNotification(event("evt-1"))
        #expect(await storeErrorCode { _ = try await store.apply(twice) } == .alreadyExists)
        var nobody = StoreChange(at: subject.clock.now)
        nobody.enqueueNotification(event("evt-3", targets: []))
        #expect(await storeErrorCode { _ = try await store.apply(nobody) } == .invalidArgument)
    }

    @Test("claims of due deliveries never overlap, and a claim not settled is due again when its lease ends", arguments: StoreFactory.all)
    func claims(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        for n in 0..<12 {
            var change = StoreChange(at: start.addingTimeInterval(Double(n)))
            change.enqueueNotification(event("evt-\(n)", targets: [Self.hooks], mutation: nil))
            _ = try await store.apply(change)
        }
        let now = start.addingTimeInterval(60)
        let lease = now.addingTimeInterval(120)
        // Four claimers at once, as four instances would: every delivery goes to exactly one.
        let claimed = try await withThrowingTaskGroup(of: [NotificationDelivery].self) { group in
            for _ in 0..<4 {
                group.addTask { try await store.claimDueNotifications(target: Self.hooks, at: now, limit: 5, leaseUntil: lease) }
            }
            var all: [[NotificationDelivery]] = []
            for try await batch in group { all.append(batch) }
            return all
        }
        let ids = claimed.flatMap { $0.map(\.eventID) }
        #expect(ids.count == 12 && Set(ids).count == 12, "\(claimed.map { $0.map(\.eventID) })")
        #expect(claimed.allSatisfy { $0.count <= 5 })
        for batch in claimed {
            #expect(batch.map(\.nextAttemptAt) == batch.map(\.nextAttemptAt).sorted(), "earliest first within a claim")
        }
        // Claimed, none is due until the lease ends; then all are again (nobody settled them).
        #expect(try await store.claimDueNotifications(target: Self.hooks, at: now, limit: 20, leaseUntil: lease).isEmpty)
        #expect(try await store.nextNotificationDue(target: Self.hooks) == lease)
        let again = try await store.claimDueNotifications(target: Self.hooks, at: lease, limit: 20, leaseUntil: lease.addingTimeInterval(60))
        #expect(again.count == 12)
        // A settled one is no longer claimed.
        var delivered = StoreChange(at: lease)
        delivered.markNotificationDelivered(again[0].id)
        _ = try await store.apply(delivered)
        let last = try await store.claimDueNotifications(target: Self.hooks, at: lease.addingTimeInterval(60), limit: 20, leaseUntil: lease.addingTimeInterval(120))
        #expect(last.count == 11 && !last.contains { $0.id == again[0].id })
    }

    @Test("due deliveries per target, earliest first; the next due time; targets with pending work", arguments: StoreFactory.all)
    func due(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        for (n, offset) in [0.0, 10, 5].enumerated() {
            var change = StoreChange(at: start.addingTimeInterval(offset))
            change.enqueueNotification(event("evt-\(n)", mutation: nil))
            _ = try await store.apply(change)
        }
        #expect(try await store.pendingNotificationTargets() == [Self.hooks, Self.chat])
        #expect(try await store.dueNotifications(target: Self.hooks, at: start, limit: 10).map(\.eventID) == ["evt-0"])
        #expect(try await store.dueNotifications(target: Self.hooks, at: start.addingTimeInterval(60), limit: 10).map(\.eventID) == ["evt-0", "evt-2", "evt-1"])
        #expect(try await store.dueNotifications(target: Self.hooks, at: start.addingTimeInterval(60), limit: 2).count == 2)
        #expect(try await store.dueNotifications(target: "http://elsewhere", at: start.addingTimeInterval(60), limit: 10).isEmpty)
        #expect(try await store.nextNotificationDue(target: Self.hooks) == start)
        #expect(try await store.nextNotificationDue(target: "http://elsewhere") == nil)
    }

    @Test("delivered, rescheduled and failed: each only from pending, and only pending deliveries are due", arguments: StoreFactory.all)
    func outcomes(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        let start = subject.clock.now
        var change = StoreChange(at: start)
        change.enqueueNotification(event("evt-1", mutation: nil))
        _ = try await store.apply(change)
        let deliveries = try await store.notificationDeliveries(eventID: "evt-1")
        let chat = try #require(deliveries.first { $0.target == Self.chat })
        let hooks = try #require(deliveries.first { $0.target == Self.hooks })

        var delivered = StoreChange(at: start.addingTimeInterval(1))
        delivered.markNotificationDelivered(chat.id)
        _ = try await store.apply(delivered)
        // Marked once: a second mark is refused.
        #expect(await storeErrorCode { _ = try await store.apply(delivered) } == .notFound)
        #expect(try await store.dueNotifications(target: Self.chat, at: start.addingTimeInterval(99), limit: 10).isEmpty)
        #expect(try await store.nextNotificationDue(target: Self.chat) == nil)

        var retry = StoreChange(at: start.addingTimeInterval(1))
        retry.rescheduleNotification(hooks.id, attempts: 1, nextAttempt: start.addingTimeInterval(30), error: "answered 503")
        _ = try await store.apply(retry)
        #expect(try await store.dueNotifications(target: Self.hooks, at: start.addingTimeInterval(29), limit: 10).isEmpty)
        let due = try await store.dueNotifications(target: Self.hooks, at: start.addingTimeInterval(30), limit: 10)
        #expect(due.map(\.attempts) == [1] && due.map(\.lastError) == ["answered 503"])
        #expect(try await store.nextNotificationDue(target: Self.hooks) == start.addingTimeInterval(30))

        var fail = StoreChange(at: start.addingTimeInterval(31))
        fail.failNotification(hooks.id, attempts: 2, error: "cannot connect")
        _ = try await store.apply(fail)
        #expect(await storeErrorCode { _ = try await store.apply(retry) } == .notFound)
        #expect(try await store.pendingNotificationTargets().isEmpty)
        let ended = try await store.notificationDeliveries(eventID: "evt-1")
        #expect(ended.map(\.status) == [.delivered, .failed])
        #expect(ended.last?.attempts == 2 && ended.last?.lastError == "cannot connect")
        #expect(ended.last?.updatedAt == start.addingTimeInterval(31))
    }
}
