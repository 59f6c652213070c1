import AirlockCore
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

@testable import AirlockEngine

/// Webhook notifications end to end: the lifecycle's events reach a receiver on loopback, signed;
/// a receiver that is down gets them once it is back, none twice; a target that stays down is
/// given up on; the outbox survives a restart; a hanging target holds up no other.
@Suite("Webhook delivery", .serialized, .sharedResources)
struct WebhookDeliveryTests {
    static let agent = LifecycleEffectsTests.agent
    static let bob = LifecycleEffectsTests.bob
    static let carol = LifecycleEffectsTests.carol
    static let lowNotes = LifecycleEffectsTests.notes
    static let largeTransfer = LifecycleEffectsTests.largeTransfer

    /// A gateway on the demo database whose notifications go to `targets`, on a manual clock.
    struct Fixture {
        let demo: DemoFixture
        let state: TemporaryDirectory
        let store: SQLiteStore
        /// The same store as the gateway writes to it, keeping each commit.
        let recorded: RecordingStore
        let gateway: Gateway
        let clock: ManualClock
        let customers: LifecycleEffectsTests.ScriptedExecutor

        init(
            targets: [WebhookTarget], agentTarget: WebhookTarget? = nil, state: TemporaryDirectory? = nil,
            clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_767_693_600))
        ) async throws {
            let demo = try DemoFixture()
            let directory = try state ?? TemporaryDirectory()
            let customers = LifecycleEffectsTests.ScriptedExecutor(demo.executor("crm.customer"))
            let store = try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: directory.path))) { $0.now = { clock.now() } }
            self.demo = demo
            self.state = directory
            self.clock = clock
            self.customers = customers
            self.store = store
            recorded = RecordingStore(store)
            var principals = PrincipalDirectory()
            var agent = WebhookDeliveryTests.agent
            agent.notify = agentTarget
            let others = [WebhookDeliveryTests.bob, WebhookDeliveryTests.carol, LifecycleEffectsTests.root, LifecycleEffectsTests.dana]
            for (n, principal) in ([agent] + others).enumerated() {
                try principals.add(principal, keySHA256: String(repeating: "\(n)", count: 64))
            }
            gateway = Gateway(
                store: recorded, principals: principals, clock: clock,
                executors: Executors([
                    "crm.customer": customers, "payments.transfer": demo.executor("payments.transfer"),
                    "catalog.product": demo.executor("catalog.product"),
                ]),
                notifications: Notifications(targets: targets, principals: principals))
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            let files = try PolicySource.files(at: root.appendingPathComponent("examples/policies").path)
            try await gateway.start(configuredPack: try PolicyPack.load(files: files), files: files, by: "test")
        }

        func submit(_ json: String) async throws -> MutationView {
            try await gateway.submit(try Value(json: json), by: WebhookDeliveryTests.agent).view
        }

        /// Runs the delivery service until `body` returns.
        func delivering<T: Sendable>(_ service: WebhookDeliveryService? = nil, _ body: () async throws -> T) async throws -> T {
            let service = service ?? WebhookDeliveryService(gateway: gateway)
            let task = Task { try await service.run() }
            defer { task.cancel() }
            let result = try await body()
            task.cancel()
            _ = await task.result
            return result
        }
    }

    static func target(_ receiver: WebhookReceiver, events: Set<NotificationKind>? = nil, maxAttempts: Int = 12, timeout: TimeInterval = 10)
        -> WebhookTarget
    {
        WebhookTarget(
            url: receiver.url, events: events, secret: Array(receiver.secret.utf8), secretEnv: "TEST_SECRET", maxAttempts: maxAttempts,
            timeout: timeout)
    }

    /// Waits (on real time: the deliveries are real HTTP calls) until `condition` holds, for at most
    /// `seconds`.
    static func eventually(
        _ seconds: Double = 15, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        let start = ContinuousClock.now
        while !(try await condition()) {
            guard ContinuousClock.now - start < .seconds(seconds) else {
                Issue.record("the condition did not hold within \(seconds) s", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("every event kind the lifecycle produces today reaches the receiver, signed, with its text and fields")
    func everyKind() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [Self.target(receiver)])
        try await fixture.delivering {
            let low = try await fixture.submit(Self.lowNotes)
            _ = try? await fixture.gateway.submit(
                try Value(json: #"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"nope":1}}"#), by: Self.agent)
            let high = try await fixture.submit(Self.largeTransfer)
            _ = try await fixture.gateway.vote(on: high.id, approve: true, note: nil, by: Self.bob)
            _ = try await fixture.gateway.vote(on: high.id, approve: true, note: nil, by: Self.carol)
            // Deadlines: an hour passes twice: escalated, then expired.
            let late = try await fixture.submit(Self.largeTransfer)
            for _ in 0..<2 {
                fixture.clock.advance(by: 3_600)
                try await fixture.gateway.settleDueDeadlines()
            }
            #expect(try await fixture.store.reviews(mutationID: late.id).last?.escalations == 1)
            fixture.customers.verification = .mismatch("notes is 'x', not 'called back'")
            let mismatched = try await fixture.submit(Self.lowNotes)
            #expect(mismatched.status == .rolledBack)
            // A reviewer asks for changes: the old mutation is superseded.
            let edited = try await fixture.submit(Self.largeTransfer)
            _ = try await fixture.gateway.requestChanges(
                on: edited.id,
                changes: try Value(json: #"{"amount":500.0,"currency":"EUR","from_account":"acc-100200","to_account":"acc-100001"}"#),
                note: "smaller, please", by: Self.bob)
            // A real freeze.
            _ = try await fixture.gateway.setFreeze(true, reason: "incident 42", by: LifecycleEffectsTests.root)

            let expected: Set<String> = [
                "decided", "review_opened", "escalated", "expired", "verification_failed", "rolled_back", "freeze_changed", "superseded",
            ]
            try await Self.eventually { Set(await receiver.accepted.map(\.kind)).isSuperset(of: expected) }
            let got = await receiver.accepted
            #expect(Set(got.map(\.kind)) == expected)
            let signed = got.filter { $0.signatureValid }.count
            #expect(signed == got.count)
            for delivery in got {
                #expect(delivery.body["id"] as? String == delivery.eventID)
                #expect(delivery.body["kind"] as? String == delivery.kind)
                #expect(!delivery.text.isEmpty)
                // Signed when sent, on the gateway's clock (which the deadlines moved on two hours).
                let now = Int(fixture.clock.now().timeIntervalSince1970)
                let sent = try #require(Int(delivery.timestamp))
                #expect(sent <= now && sent >= now - 7_200)
            }
            let decidedLow = try #require(got.first { $0.kind == "decided" && $0.body["mutation_id"] as? String == low.id })
            #expect(decidedLow.text == "Approved by policy: update of crm.customer by agent-7 (\(low.id)), tier low")
            #expect(decidedLow.body["status"] as? String == "approved" && decidedLow.body["tier"] as? String == "low")
            #expect(decidedLow.body["resource"] as? String == "crm.customer" && decidedLow.body["submitter"] as? String == "agent-7")
            let opened = try #require(got.first { $0.kind == "review_opened" && $0.body["mutation_id"] as? String == high.id })
            let reviewID = try await fixture.store.reviews(mutationID: high.id).first?.id
            #expect(opened.body["review_id"] as? String == reviewID)
            #expect(opened.text.hasPrefix("Review needed: create of payments.transfer by agent-7 (\(high.id)), tier high"))
            let byReviewers = got.filter { $0.kind == "decided" && $0.body["mutation_id"] as? String == high.id }
            #expect(byReviewers.map { $0.body["actor"] as? String } == ["carol"])
            let failed = try #require(got.first { $0.kind == "verification_failed" })
            #expect(failed.body["detail"] as? String == "notes is 'x', not 'called back'")
            #expect(got.first { $0.kind == "expired" }?.body["mutation_id"] as? String == late.id)
            #expect(got.first { $0.kind == "freeze_changed" }?.body["freeze"] as? Bool == true)
            // Each delivered once.
            #expect(Set(got.map(\.eventID)).count == got.count)
        }
        await receiver.stop()
    }

    @Test("a delivery whose outcome cannot be recorded is sent again only after a pause, not over and over")
    func unrecordedOutcomePauses() async throws {
        let receiver = try await WebhookReceiver.start()
        let fixture = try await Fixture(targets: [Self.target(receiver, events: [.decided])])
        fixture.recorded.refuse { change in
            change.operations.contains { if case .markNotificationDelivered = $0 { true } else { false } }
        }
        // Committed (and its doorbell rung) before the service starts: a ring that arrives
        // after the worker's first look would rightly send once more.
        let view = try await fixture.submit(Self.lowNotes)
        try await fixture.delivering {
            try await Self.eventually { await receiver.all.count >= 1 }
            // Real time passes; the service's clock does not: no second send.
            try await Task.sleep(for: .milliseconds(500))
            #expect(await receiver.all.count == 1, "sent again at once")
            // The store recovers and the claim's lease ends (twice the timeout and 30 s): sent
            // again, recorded, and left alone.
            fixture.recorded.refuse(nil)
            fixture.clock.advance(by: 5)
            try await Task.sleep(for: .milliseconds(300))
            #expect(await receiver.all.count == 1, "sent again while its claim still held")
            fixture.clock.advance(by: 2 * 10 + 30)
            try await Self.eventually {
                try await fixture.store.notificationDeliveries(mutationID: view.id).first?.status == .delivered
            }
            #expect(await receiver.all.count == 2)
        }
        await receiver.stop()
    }

    @Test("a receiver down (503) for a while gets every event once it is back, none twice; decisions never wait")
    func retriesUntilBack() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.state.setDown(true)
        let fixture = try await Fixture(targets: [Self.target(receiver, events: [.decided])])
        try await fixture.delivering {
            var ids: [String] = []
            for _ in 0..<3 {
                let view = try await fixture.submit(Self.lowNotes)
                #expect(view.status == .executed)
                ids.append(view.id)
            }
            // Every first attempt answered 503 and was rescheduled.
            try await Self.eventually {
                var rescheduled = 0
                for id in ids { rescheduled += try await fixture.store.notificationDeliveries(mutationID: id).filter { $0.attempts == 1 }.count }
                return rescheduled == 3
            }
            #expect(await receiver.accepted.isEmpty)
            #expect(await receiver.all.count == 3)
            let pending = try await fixture.store.notificationDeliveries(mutationID: ids[0])
            #expect(pending.map(\.status) == [.pending] && pending.first?.lastError == "answered 503")
            #expect(pending.first?.nextAttemptAt == fixture.clock.now().addingTimeInterval(5))

            await receiver.state.setDown(false)
            fixture.clock.advance(by: 5)
            try await Self.eventually { await receiver.accepted.count == 3 }
            try await Self.eventually {
                try await fixture.store.notificationDeliveries(mutationID: ids[2]).first?.status == .delivered
            }
            // Much later: nothing is sent again.
            for _ in 0..<5 { fixture.clock.advance(by: 3600) }
            try await Task.sleep(for: .milliseconds(300))
            let accepted = await receiver.accepted
            #expect(accepted.count == 3)
            #expect(Set(accepted.map(\.eventID)).count == 3)
            #expect(Set(accepted.compactMap { $0.body["mutation_id"] as? String }) == Set(ids))
            #expect(fixture.gateway.notifications.counts == Notifications.DeliveryCounts(delivered: 3, retried: 3, failed: 0))
        }
        await receiver.stop()
    }

    @Test("a target that stays down is given up on after max_attempts: marked failed, counted, not retried")
    func givesUp() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.state.setDown(true)
        let fixture = try await Fixture(targets: [Self.target(receiver, events: [.decided], maxAttempts: 2)])
        try await fixture.delivering {
            let id = try await fixture.submit(Self.lowNotes).id
            try await Self.eventually { try await fixture.store.notificationDeliveries(mutationID: id).first?.attempts == 1 }
            fixture.clock.advance(by: 5)
            try await Self.eventually { try await fixture.store.notificationDeliveries(mutationID: id).first?.status == .failed }
            let delivery = try #require(try await fixture.store.notificationDeliveries(mutationID: id).first)
            #expect(delivery.attempts == 2 && delivery.lastError == "answered 503")
            for _ in 0..<5 { fixture.clock.advance(by: 3600) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await receiver.all.count == 2)
            #expect(fixture.gateway.notifications.counts.failed == 1)
        }
        await receiver.stop()
    }

    @Test("what the outbox holds when the gateway stops is delivered by the next one on the same store")
    func survivesRestart() async throws {
        let receiver = try await WebhookReceiver.start()
        let state = try TemporaryDirectory()
        var ids: [String] = []
        do {
            // No delivery service runs: the events stay in the outbox.
            let first = try await Fixture(targets: [Self.target(receiver, events: [.decided])], state: state)
            ids.append(try await first.submit(Self.lowNotes).id)
            ids.append(try await first.submit(Self.lowNotes).id)
            try await first.store.close()
        }
        #expect(await receiver.all.isEmpty)
        let second = try await Fixture(targets: [Self.target(receiver, events: [.decided])], state: state)
        try await second.delivering {
            try await Self.eventually { await receiver.accepted.count == 2 }
        }
        #expect(Set(await receiver.accepted.compactMap { $0.body["mutation_id"] as? String }) == Set(ids))
        await receiver.stop()
    }

    @Test("events go to the targets whose filter takes them, and to the submitter's own target; none without targets")
    func routing() async throws {
        let everything = try await WebhookReceiver.start()
        let reviews = try await WebhookReceiver.start()
        let agentHook = try await WebhookReceiver.start(secret: "agent-secret")
        let fixture = try await Fixture(
            targets: [Self.target(everything), Self.target(reviews, events: [.reviewOpened])],
            agentTarget: Self.target(agentHook, events: [.decided]))
        try await fixture.delivering {
            let high = try await fixture.submit(Self.largeTransfer)
            let low = try await fixture.submit(Self.lowNotes)
            try await Self.eventually {
                let all = await everything.accepted.count
                let own = await agentHook.accepted.count
                return all == 2 && own == 1
            }
            try await Self.eventually { await reviews.accepted.count == 1 }
            #expect(await reviews.accepted.map(\.kind) == ["review_opened"])
            #expect(await reviews.accepted.first?.body["mutation_id"] as? String == high.id)
            #expect(await agentHook.accepted.map(\.kind) == ["decided"])
            #expect(await agentHook.accepted.first?.body["mutation_id"] as? String == low.id)
            let own = await agentHook.accepted
            #expect(own.count == 1 && own[0].signatureValid)
        }
        let quiet = try await Fixture(targets: [])
        let id = try await quiet.submit(Self.lowNotes).id
        #expect(try await quiet.store.notificationDeliveries(mutationID: id).isEmpty)
        for receiver in [everything, reviews, agentHook] { await receiver.stop() }
    }

    @Test("a target that hangs past its timeout holds up no other target, and its delivery is retried")
    func hangingTarget() async throws {
        let slow = try await WebhookReceiver.start()
        let fast = try await WebhookReceiver.start()
        await slow.state.setStall(.seconds(4))
        let fixture = try await Fixture(targets: [Self.target(slow, events: [.decided], timeout: 1), Self.target(fast, events: [.decided])])
        try await fixture.delivering {
            let id = try await fixture.submit(Self.lowNotes).id
            try await Self.eventually { await fast.accepted.count == 1 }
            // The slow target has not answered yet: the fast one did not wait for it.
            #expect(await slow.all.isEmpty)
            try await Self.eventually {
                try await fixture.store.notificationDeliveries(mutationID: id).contains { $0.target == slow.url && $0.attempts == 1 }
            }
            let late = try #require(try await fixture.store.notificationDeliveries(mutationID: id).first { $0.target == slow.url })
            #expect(late.status == .pending && (late.lastError ?? "").contains("timed out"))
        }
        await slow.stop()
        await fast.stop()
    }

    @Test("with no target the service still runs until it is stopped (a service that returns ends the server)")
    func runsWithoutTargets() async throws {
        let fixture = try await Fixture(targets: [])
        let service = WebhookDeliveryService(gateway: fixture.gateway)
        let finished = Finished()
        let task = Task {
            try await service.run()
            await finished.set()
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await finished.value == false)
        task.cancel()
        _ = await task.result
        #expect(await finished.value == true)
    }

    actor Finished {
        var value = false
        func set() { value = true }
    }

    @Test("the signature is HMAC-SHA256 of \"<timestamp>.<body>\", hex, after sha256=")
    func signature() {
        let signature = WebhookSignature.sign(timestamp: "1767225600", body: Array(#"{"kind":"decided"}"#.utf8), secret: Array("whsec-test".utf8))
        #expect(signature == "sha256=4a8e6aac958f6633c11906483067519cf23b876f80eb9d9cda1e1beec84e4717")
    }

    @Test("backoff doubles from the initial wait up to the cap")
    func backoff() async throws {
        let fixture = try await Fixture(targets: [])
        let service = WebhookDeliveryService(gateway: fixture.gateway, initialBackoff: 5, maximumBackoff: 60)
        #expect((1...6).map { service.backoff(afterAttempts: $0) } == [5, 10, 20, 40, 60, 60])
    }
}
