import Foundation

extension SQLiteStore {
    /// How `synchronous` trades durability for speed (docs/audit.md, "Durability").
    public enum Synchronous: String, Sendable, Hashable, CaseIterable {
        /// Every commit is fsynced before it is acknowledged: an acknowledged decision survives a
        /// power loss. The default.
        case full = "FULL"
        /// Faster: the WAL is fsynced only at checkpoints. Survives a crash of the process, but a
        /// power loss or OS crash may lose the last commits (never corrupts the database or the
        /// chain).
        case normal = "NORMAL"
    }

    /// How a ``SQLiteStore`` behaves.
    public struct Configuration: Sendable {
        /// The `synchronous` pragma of the writer connection.
        public var synchronous: Synchronous
        /// Sign a checkpoint once at least this many records were appended since the last one.
        public var checkpointEvery: Int
        /// …or once this many seconds passed since the last one (with at least one new record).
        public var checkpointInterval: TimeInterval
        /// The key that signs checkpoints; `nil` for a store that only reads and verifies (it then
        /// signs nothing).
        public var signingKey: AuditSigningKey?
        /// The wall clock of the audit log: record and checkpoint times. Injected so that tests
        /// control time without sleeping.
        public var now: @Sendable () -> Date
        /// The most jobs one group commit takes.
        public var maximumBatchSize: Int
        /// How long a write waits for another process holding the database lock.
        public var busyTimeout: TimeInterval
        /// How the write-ahead log is copied into the database file in the background.
        public var walCheckpoints = WALCheckpoints()
        /// The file outside the state directory that every signed checkpoint is appended to
        /// before its commit is acknowledged, and that verification checks the log against.
        public var witness: AuditWitness?

        /// The defaults: FULL sync, a checkpoint every 1,000 records or 60 seconds, system clock.
        public init(
            signingKey: AuditSigningKey?,
            synchronous: Synchronous = .full,
            checkpointEvery: Int = 1000,
            checkpointInterval: TimeInterval = 60,
            now: @escaping @Sendable () -> Date = { Date() },
            maximumBatchSize: Int = 512,
            busyTimeout: TimeInterval = 10
        ) {
            self.signingKey = signingKey
            self.synchronous = synchronous
            self.checkpointEvery = checkpointEvery
            self.checkpointInterval = checkpointInterval
            self.now = now
            self.maximumBatchSize = maximumBatchSize
            self.busyTimeout = busyTimeout
        }
    }

    /// When the background checkpointer copies the write-ahead log into the database file and
    /// starts it over (docs/audit.md, "Durability"). The defaults suit sustained load; tests use
    /// smaller figures to see the log start over quickly.
    public struct WALCheckpoints: Sendable {
        /// How often a passive checkpoint runs (it never blocks the writer).
        public var interval: Duration = .milliseconds(100)
        /// Past this many frames in the log, passive checkpoints run back to back until one finds
        /// nothing new, so that the writer's next transaction starts the log over.
        public var catchUpFrames = 1_024
        /// The most passive checkpoints run back to back.
        public var catchUpRounds = 8
        /// Past this many frames, a RESTART checkpoint makes the writer wait until the log starts
        /// over.
        public var restartFrames = 16_384
        /// How long a RESTART waits for readers still reading the old log before giving up (and
        /// backing off); the writer waits with it.
        public var restartWait: Duration = .milliseconds(20)

        public init() {}
    }
}
