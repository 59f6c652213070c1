import AirlockEngine
import AirlockTestSupport
import AirlockServer
import Foundation
import HTTPTypes
import Testing

/// `GET /v1/mutations/{id}?wait=…&status=…` holds the request until the status changes.
@Suite(.sharedResources) struct LongPollTests {
    /// The wait the tests ask for, in seconds: a poll that is not woken answers only after it.
    static let wait = 60
    /// How soon a woken poll must answer: half the wait, which leaves room for a loaded machine
    /// (the tests share it with builds) and still tells a wake-up from an expiry.
    static let promptly: Duration = .seconds(30)

    @Test func aWaitingClientWakesSoonAfterAnApprovalByAnother() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let started = ContinuousClock.now
            async let waited = api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent)
            // Give the poll time to park; the approval then has to wake it (if it came first, the
            // poll would answer at once anyway, and the test still holds).
            try await Task.sleep(for: .milliseconds(300))
            let approved = try await api.approve(id, key: TestServer.Key.bob)
            #expect(approved.status == .ok, "\(approved)")
            let reply = try await waited
            let elapsed = ContinuousClock.now - started
            #expect(reply.status == .ok, "\(reply)")
            #expect(reply.json["status"].string == "approved")
            #expect(elapsed < Self.promptly, "the poll answered after \(elapsed)")
        }
    }

    /// Without `status`, the wait is for a change from the status the mutation had when it began
    /// (it once compared with the status it woke to, and held on until its time was up).
    @Test func aWaitWithoutAStatusWakesOnTheChange() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let poll = Task { try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)", key: TestServer.Key.agent) }
            let parked = ContinuousClock.now
            while parts.gateway.waitingRequests == 0, ContinuousClock.now - parked < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await api.approve(id, key: TestServer.Key.bob).status == .ok)
            // The gateway's clock stands still: only the change can end the wait.
            let reply = try await poll.value
            #expect(reply.json["status"].string == "approved", "\(reply)")
        }
    }

    @Test func aWaitWithoutChangeHoldsUntilItsTimeOnTheGatewaysClockPasses() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            // Seven seconds, a wait none of the gateway's services sleeps on the clock: the test
            // waits for the poll's own sleep. (It once waited for any sleeper; a service's
            // one-second timer let it move the clock before the poll had read it, and the poll
            // then slept past the test's last move, for good.)
            let deadline = clock.now().addingTimeInterval(7)
            let poll = Task {
                try await api.get("/v1/mutations/\(id)?wait=7&status=pending_review", key: TestServer.Key.agent)
            }
            // The poll waits on the gateway's clock, not the wall's: it holds until that moves.
            let parked = ContinuousClock.now
            while !clock.isSleeping(until: deadline) {
                guard ContinuousClock.now - parked < .seconds(30) else {
                    Issue.record("the poll did not sleep on the gateway's clock until \(deadline) within 30 s")
                    clock.advance(by: 3_600)
                    _ = try? await poll.value
                    return
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            clock.advance(by: 6.5)
            try await Task.sleep(for: .milliseconds(100))
            #expect(parts.gateway.waitingRequests == 1, "the poll answered before its seven seconds were up")
            let started = ContinuousClock.now
            clock.advance(by: 0.5)
            let reply = try await poll.value
            #expect(reply.status == .ok, "\(reply)")
            #expect(reply.json["status"].string == "pending_review")
            #expect(ContinuousClock.now - started < Self.promptly)
        }
    }

    @Test func aWaitOnAStatusAlreadyLeftAnswersAtOnce() async throws {
        try await TestServer.with { api, _ in
            let low = try #require(try await api.submit(Mutations.lowTitle).json["id"].string)
            let started = ContinuousClock.now
            let reply = try await api.get("/v1/mutations/\(low)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent)
            #expect(reply.json["status"].string == "approved")
            let high = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let rejected = try await api.reject(high, key: TestServer.Key.carol, note: "not now")
            #expect(rejected.status == .ok)
            // A final status answers at once, whatever status the client names.
            let final = try await api.get("/v1/mutations/\(high)?wait=\(Self.wait)&status=approved", key: TestServer.Key.agent)
            #expect(final.json["status"].string == "rejected")
            #expect(ContinuousClock.now - started < Self.promptly)
        }
    }

    @Test func manyWaitersAreAllWoken() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highRepricing).json["id"].string)
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent)
                            .json["status"].string
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await api.approve(id, key: TestServer.Key.bob).json["status"].string == "pending_review")
                #expect(try await api.approve(id, key: TestServer.Key.carol).json["status"].string == "approved")
                var statuses: [String?] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 20)
                #expect(statuses.allSatisfy { $0 == "approved" }, "\(statuses)")
            }
        }
    }

    @Test func aShutdownAnswersWaitingClientsInsteadOfWaitingForThem() async throws {
        // Timed from the moment the shutdown begins: starting a server and submitting under the
        // full suite's load took long enough on its own to pass the limit.
        let (poll, shutdownBegan) = try await TestServer.with { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let poll = Task {
                try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent)
            }
            // Until the server holds the poll: a request not yet read when the shutdown begins is
            // on an idle connection, which the server closes (on a loaded machine 300 ms of sleep
            // was not always enough).
            let parked = ContinuousClock.now
            while parts.gateway.waitingRequests == 0, ContinuousClock.now - parked < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(parts.gateway.waitingRequests == 1)
            return (poll, ContinuousClock.now)  // leaving the closure shuts the server down
        }
        let stopped = ContinuousClock.now - shutdownBegan
        let reply = try await poll.value
        #expect(stopped < Self.promptly, "the server took \(stopped) to stop")
        #expect(reply.status == .ok, "\(reply)")
        #expect(reply.json["status"].string == "pending_review")
    }
}
