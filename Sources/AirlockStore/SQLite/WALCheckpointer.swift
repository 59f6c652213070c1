import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log into the database file on a connection and thread of its own, so
/// that the group-commit writer never stops to do it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and with
/// `synchronous=FULL` writes and syncs the database file there: a stall of several milliseconds
/// for every caller sharing that commit. Instead, every `interval` this runs a PASSIVE checkpoint,
/// which never blocks the writer. Under sustained writes a passive checkpoint may not catch the
/// log's end, and the log restarts from its beginning only once one has; when the log passes
/// `restartFrames` frames, a RESTART checkpoint makes the writer wait once (most frames are copied
/// by then) so that the log starts over rather than growing.
final class WALCheckpointer: Sendable {
    private let task: Task<Void, Never>
    private let stopped = Flag()

    /// Set once, read by the checkpoint loop (which must not hold the checkpointer itself).
    private final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    /// Opens the checkpoint connection and starts checkpointing.
    init(
        path: String, configuration: GRDB.Configuration, synchronous: SQLiteStore.Synchronous,
        interval: Duration = .milliseconds(100), restartFrames: Int = 16_384
    ) throws {
        var configuration = configuration
        configuration.label = "airlock-checkpoint"
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        let stopped = self.stopped
        task = Task.detached(priority: .utility) {
            while !stopped.isSet {
                try? await Task.sleep(for: interval)
                if stopped.isSet { break }
                _ = try? await queue.writeWithoutTransaction { db in
                    let (frames, _) = try db.checkpoint(.passive)
                    if frames > restartFrames {
                        try db.checkpoint(.restart)
                    }
                }
            }
            try? queue.close()
        }
    }

    /// Stops checkpointing and closes the checkpoint connection (the last connection to the
    /// database to close checkpoints what is left).
    func stop() async {
        stopped.set()
        task.cancel()
        await task.value
    }

    deinit {
        stopped.set()
        task.cancel()
    }
}
