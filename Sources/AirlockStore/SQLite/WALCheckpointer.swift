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
/// then starts the log over by itself. Past `restartFrames`, a RESTART checkpoint makes the writer wait so that the log starts
/// over rather than growing; caught up just before, it has almost nothing left to copy (measured
/// under `bench serve`: the writer's waits for restarts fell from 2–16 ms every 0.6 s to a few
/// rare ones of about 3 ms).
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
    init(
        path: String, configuration: GRDB.Configuration, synchronous: SQLiteStore.Synchronous,
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
        let thread = Thread {
            while !control.isStopped {
                _ = control.wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
                if control.isStopped { break }
                try? queue.writeWithoutTransaction { db in try Self.checkpoint(db, tuning) }
            }
            try? queue.close()
            control.running.leave()
        }
        thread.name = "airlock-checkpoint"
        thread.start()
    }

    /// One round: a passive checkpoint, caught up past `catchUpFrames`, restarted past
    /// `restartFrames`.
    private static func checkpoint(_ db: Database, _ tuning: SQLiteStore.WALCheckpoints) throws {
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
        if frames > tuning.restartFrames {
            try db.checkpoint(.restart)
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
