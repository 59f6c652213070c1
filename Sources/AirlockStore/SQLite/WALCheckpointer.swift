import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log into the database file on a connection and thread of its own, so
/// that the group-commit writer never stops to do it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and with
/// `synchronous=FULL` writes and syncs the database file there: a stall of several milliseconds
/// for every caller sharing that commit. Instead, every `interval` this runs a PASSIVE checkpoint,
/// which never blocks the writer.
///
/// The log starts over from its beginning only when a write transaction begins with every frame
/// copied, which under sustained writes a single passive checkpoint rarely leaves behind (the
/// writer commits while it copies). So past `catchUpFrames` frames (``SQLiteStore/WALCheckpoints``)
/// it runs passive checkpoints back to back, each copying what was committed during the one
/// before, until one finds nothing new (or after `catchUpRounds`): the writer's next transaction
/// then starts the log over by itself.
///
/// Past `restartFrames`, a RESTART checkpoint makes the writer wait so that the log starts over
/// rather than growing; caught up just before, it has almost nothing left to copy (measured under
/// `bench serve`: the writer's waits for restarts fell from 2–16 ms every 0.6 s to a few rare ones
/// of about 3 ms). It runs on the writer's own connection, queued between its transactions: from
/// this connection it would need the write lock, which under sustained writes it seldom finds
/// free, and a RESTART that cannot take it quietly does only a passive checkpoint. On the writer's
/// connection it waits at most `restartWait` for readers still reading the old log (besides
/// copying what is left); when they outlast that, the next attempts back off (doubling up to 64
/// rounds) so that a long reader does not stall every write again and again.
final class WALCheckpointer: Sendable {
    private let control = Control()

    /// The checkpoint thread's stop request and its end, shared with it (the thread must not hold
    /// the checkpointer itself, whose deinit stops it).
    private final class Control: Sendable {
        private let stopRequested = Mutex(false)
        /// Signalled to wake the thread early (stop).
        let wake = DispatchSemaphore(value: 0)
        /// Left once the thread has closed its connection; every stop waits for it.
        let running = DispatchGroup()

        var isStopped: Bool { stopRequested.withLock { $0 } }

        /// Asks the thread to stop; true the first time.
        func requestStop() -> Bool {
            let first = stopRequested.withLock { stopped in
                defer { stopped = true }
                return !stopped
            }
            if first { wake.signal() }
            return first
        }
    }

    /// Opens the checkpoint connection and starts checkpointing on a thread of its own: the task
    /// pool may be saturated by the very writes whose log this copies.
    ///
    /// - Parameters:
    ///   - writer: the store's writer, on whose connection restarts run (retained until `stop`).
    ///   - busyTimeout: the writer connection's busy timeout, restored after each restart.
    init(
        path: String, writer: any DatabaseWriter, configuration: GRDB.Configuration,
        busyTimeout: TimeInterval, synchronous: SQLiteStore.Synchronous,
        tuning: SQLiteStore.WALCheckpoints = SQLiteStore.WALCheckpoints()
    ) throws {
        var configuration = configuration
        configuration.label = "airlock-checkpoint"
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        let control = self.control
        let interval = tuning.interval
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        control.running.enter()
        let restart = Restarter(
            writer: writer, waitMilliseconds: Self.milliseconds(tuning.restartWait),
            busyTimeoutMilliseconds: Int(busyTimeout * 1000))
        let thread = Thread {
            var restarts = RestartSchedule()
            while !control.isStopped {
                _ = control.wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
                if control.isStopped { break }
                guard let frames = try? queue.writeWithoutTransaction({ db in try Self.catchUp(db, tuning) })
                else { continue }
                if frames <= tuning.restartFrames {
                    restarts.reset()  // the log started over by itself: no reader is holding it
                } else if restarts.shouldAttempt(frames: frames) {
                    restarts.record(succeeded: restart.run(), frames: frames)
                }
            }
            try? queue.close()
            control.running.leave()
        }
        thread.name = "airlock-checkpoint"
        thread.start()
    }

    /// One round of passive checkpoints, caught up past `catchUpFrames`; returns the frames in the
    /// log.
    private static func catchUp(_ db: Database, _ tuning: SQLiteStore.WALCheckpoints) throws -> Int {
        var (frames, _) = try db.checkpoint(.passive)
        if frames > tuning.catchUpFrames {
            var rounds = 1
            var previous = frames
            while rounds < tuning.catchUpRounds {
                (frames, _) = try db.checkpoint(.passive)
                rounds += 1
                if frames == previous { break }  // nothing committed meanwhile: caught up
                previous = frames
            }
        }
        return frames
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// A RESTART checkpoint on the writer's connection, waiting at most `waitMilliseconds` for
    /// readers of the old log.
    struct Restarter: Sendable {
        let writer: any DatabaseWriter
        let waitMilliseconds: Int
        let busyTimeoutMilliseconds: Int

        /// True when the log starts over.
        func run() -> Bool {
            (try? writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA busy_timeout = \(waitMilliseconds)")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(busyTimeoutMilliseconds)") }
                _ = try db.checkpoint(.restart)  // throws SQLITE_BUSY when readers outlast the wait
                return true
            }) ?? false
        }
    }

    /// After a restart that readers kept from completing, the next attempts wait 1, 2, 4 … 64
    /// rounds (of those that find the log past `restartFrames`); a success, or a round that finds
    /// the log below it, resets the wait. After a success, nothing is attempted while the log
    /// still holds the same frames: a RESTART leaves them counted until the next write starts the
    /// log over, and an idle store would otherwise be asked to restart it every round.
    struct RestartSchedule {
        private(set) var skip = 0
        private var backoff = 0
        /// The frames in the log when a restart last succeeded.
        private var restartedAt: Int?

        mutating func shouldAttempt(frames: Int) -> Bool {
            guard frames != restartedAt else { return false }  // nothing written since
            guard skip == 0 else {
                skip -= 1
                return false
            }
            return true
        }

        mutating func reset() {
            skip = 0
            backoff = 0
            restartedAt = nil
        }

        mutating func record(succeeded: Bool, frames: Int) {
            if succeeded {
                backoff = 0
                restartedAt = frames
            } else {
                backoff = min(max(1, backoff * 2), 64)
                skip = backoff
            }
        }
    }

    /// Stops checkpointing and closes the checkpoint connection (the last connection to the
    /// database to close checkpoints what is left).
    /// Every caller returns only once the connection is closed, a second one included.
    func stop() async {
        _ = control.requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // Waited for off the task pool.
            control.running.notify(queue: .global()) { continuation.resume() }
        }
    }

    deinit {
        _ = control.requestStop()
    }
}
