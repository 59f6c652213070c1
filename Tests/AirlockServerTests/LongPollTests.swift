import AirlockEngine
import AirlockTestSupport
import AirlockServer
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    /// A principal removed from the configuration (SIGHUP reloads it into `replacePrincipals`)
    /// is answered nothing more: its open long poll ends at once with 401, not with the mutation
    /// when the wait would have ended; another principal's poll waits on.
    @Test func aRemovedPrincipalsWaitEndsAtOnceWith401() async throws {
        let clock = ManualClock(TestServer.businessHours)
        let state = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(state) }
        try await TestServer.run(stateDirectory: state, clock: clock) { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let agentPoll = Task { try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent) }
            let bobPoll = Task { try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.bob) }
            let parked = ContinuousClock.now
            while parts.gateway.waitingRequests < 2, ContinuousClock.now - parked < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(parts.gateway.waitingRequests == 2)

            let without = TestServer.configurationText(stateDirectory: state)
                .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("id: agent-7") }
                .joined(separator: "\n")
            let reloaded = try GatewayConfiguration.parse(without, file: state + "/airlock.yaml")
            #expect(reloaded.principals.principal(id: "agent-7") == nil)
            parts.gateway.replacePrincipals(reloaded.principals)

            // The gateway's clock stands still: only the reload can end the agent's wait (and
            // without it the test would hang: it gives up after 20 s of the machine's time).
            let gateway = parts.gateway
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                gateway.endWaits()
            }
            let reply = try await agentPoll.value
            watchdog.cancel()
            if (try? await watchdog.value) != nil {
                Issue.record("the removed principal's poll was still open 20 s after the reload")
                _ = try? await bobPoll.value
                return
            }
            #expect(reply.status == .unauthorized, "\(reply)")
            #expect(reply.json["status"].string == nil, "a removed principal was answered the mutation: \(reply)")
            #expect(reply.text.contains("agent-7"), "\(reply)")

            // Bob is still configured: his poll went back to waiting, and wakes on the approval.
            try await Task.sleep(for: .milliseconds(200))
            let parkedAgain = ContinuousClock.now
            while parts.gateway.waitingRequests < 1, ContinuousClock.now - parkedAgain < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await api.approve(id, key: TestServer.Key.alice).status == .ok)
            let bobs = try await bobPoll.value
            #expect(bobs.status == .ok, "\(bobs)")
            #expect(bobs.json["status"].string == "approved", "\(bobs)")
        }
    }

    /// A client that gives up on its long poll (closes the connection) gives back its place at
    /// once: its principal is not refused 429 until the abandoned waits' time runs out.
    @Test func aPollWhoseClientLeftEndsAndFreesItsPlace() async throws {
        let clock = ManualClock(TestServer.businessHours)
        let extra = TestServer.noRateLimits + "\nlimits: { long_polls_per_principal: 2 }"
        try await TestServer.with(clock: clock, extra: extra) { api, parts in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            // Two polls on raw connections, the principal's limit, closed without reading.
            var sockets: [Int32] = []
            for _ in 0..<2 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(api.port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                try #require(connected == 0, "cannot connect to the test server")
                let request = "GET /v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer \(TestServer.Key.agent)\r\n\r\n"
                _ = request.withCString { send(fd, $0, strlen($0), 0) }
                sockets.append(fd)
            }
            let parked = ContinuousClock.now
            while parts.gateway.waitingRequests < 2, ContinuousClock.now - parked < .seconds(30) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(parts.gateway.waitingRequests == 2)
            for fd in sockets { close(fd) }

            // The gateway's clock stands still: only the closed connections can end the waits.
            // (A wait stops watching, then reads the mutation once more before it gives its
            // place back: wait for the places, not only the watches.)
            let closed = ContinuousClock.now
            while parts.gateway.admission.longPollsHeld(by: "agent-7") > 0, ContinuousClock.now - closed < .seconds(30) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(parts.gateway.admission.longPollsHeld(by: "agent-7") == 0, "abandoned polls still hold their places")
            #expect(parts.gateway.waitingRequests == 0, "abandoned polls still wait")
            let poll = Task { try await api.get("/v1/mutations/\(id)?wait=\(Self.wait)&status=pending_review", key: TestServer.Key.agent) }
            let again = ContinuousClock.now
            while parts.gateway.waitingRequests < 1, ContinuousClock.now - again < .seconds(30) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await api.approve(id, key: TestServer.Key.bob).status == .ok)
            let reply = try await poll.value
            #expect(reply.status == .ok, "a new poll was refused after the abandoned ones: \(reply)")
            #expect(reply.json["status"].string == "approved", "\(reply)")
        }
    }
}
