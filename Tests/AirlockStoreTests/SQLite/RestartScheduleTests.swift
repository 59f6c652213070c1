@testable import AirlockStore
import Foundation
import GRDB
import AirlockTestSupport
import Testing

@Suite("WAL restart back-off", .sharedResources)
struct RestartScheduleTests {
    /// The rounds attempted out of `rounds`, every attempt failing.
    private func attemptsWhileFailing(rounds: Int, schedule: inout WALCheckpointer.RestartSchedule) -> [Int] {
        var attempted: [Int] = []
        for round in 0..<rounds where schedule.shouldAttempt(frames: 20_000 + round) {
            attempted.append(round)
            schedule.record(succeeded: false, frames: 20_000 + round)
        }
        return attempted
    }

    @Test("failed restarts wait 1, 2, 4 … rounds, at most 64")
    func backsOff() {
        var schedule = WALCheckpointer.RestartSchedule()
        let attempted = attemptsWhileFailing(rounds: 400, schedule: &schedule)
        let gaps = zip(attempted.dropFirst(), attempted).map { $0 - $1 - 1 }
        #expect(Array(gaps.prefix(8)) == [1, 2, 4, 8, 16, 32, 64, 64])
        #expect(gaps.allSatisfy { $0 <= 64 })
    }

    @Test("a success resets the wait")
    func successResets() {
        var schedule = WALCheckpointer.RestartSchedule()
        _ = attemptsWhileFailing(rounds: 40, schedule: &schedule)
        while !schedule.shouldAttempt(frames: 30_000) {}
        schedule.record(succeeded: true, frames: 30_000)
        let afterSuccess = schedule.shouldAttempt(frames: 30_100)
        #expect(afterSuccess)
        schedule.record(succeeded: false, frames: 30_100)
        let next = [schedule.shouldAttempt(frames: 30_200), schedule.shouldAttempt(frames: 30_300)]
        #expect(next == [false, true])
    }

    @Test("the log found below the threshold resets the wait")
    func resetClears() {
        var schedule = WALCheckpointer.RestartSchedule()
        _ = attemptsWhileFailing(rounds: 200, schedule: &schedule)
        #expect(schedule.skip > 0)
        schedule.reset()
        let attempts = [schedule.shouldAttempt(frames: 40_000), schedule.shouldAttempt(frames: 40_000)]
        #expect(attempts == [true, true])
        schedule.record(succeeded: false, frames: 40_000)
        let afterFailure = [schedule.shouldAttempt(frames: 40_000), schedule.shouldAttempt(frames: 40_000)]
        #expect(afterFailure == [false, true], "the back-off starts again from one round")
    }

    @Test("after a success, the same frames (nothing written since) are not restarted again")
    func idleAfterSuccess() {
        var schedule = WALCheckpointer.RestartSchedule()
        let first = schedule.shouldAttempt(frames: 20_000)
        #expect(first)
        schedule.record(succeeded: true, frames: 20_000)
        let idle = (0..<5).map { _ in schedule.shouldAttempt(frames: 20_000) }
        #expect(idle == [false, false, false, false, false])
        // Written since without the log starting over (a reader held it): attempted again.
        let written = schedule.shouldAttempt(frames: 20_500)
        #expect(written)
        schedule.record(succeeded: true, frames: 20_500)
        schedule.reset()  // the log started over
        let afterReset = schedule.shouldAttempt(frames: 20_500)
        #expect(afterReset)
    }
}

@Suite("WAL restart on the writer's connection", .sharedResources)
struct RestarterTests {
    @Test("a reader of the old log makes it give up after its wait; the busy timeout is restored")
    func givesUpUnderAReader() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("db.sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let writer = try DatabasePool(path: path, configuration: configuration)
        try await writer.write { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "CREATE TABLE t (x)")
            try db.execute(sql: "INSERT INTO t VALUES (1)")
        }
        var readerConfiguration = Configuration()
        readerConfiguration.allowsUnsafeTransactions = true  // the transaction spans two accesses
        let reader = try DatabaseQueue(path: path, configuration: readerConfiguration)
        try await reader.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN DEFERRED")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM t")
        }
        let restarter = WALCheckpointer.Restarter(writer: writer, waitMilliseconds: 20, busyTimeoutMilliseconds: 10_000)
        let clock = ContinuousClock()
        var succeeded = true
        let elapsed = clock.measure { succeeded = restarter.run() }
        #expect(!succeeded)
        // It waited for its 20 ms, not the connection's 10 s.
        #expect(elapsed < .seconds(5), "gave up after \(elapsed)")
        #expect(try await writer.write { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") } == 10_000)

        try await reader.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        #expect(restarter.run())
        try reader.close()
        try writer.close()
    }
}
