import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file outside the state directory to which every checkpoint the store signs is appended
/// (`audit: { witness: PATH }`), as Certificate Transparency's witnesses keep tree heads outside
/// the log: someone who can write the database can delete the newest records and the checkpoints
/// over them, but not the lines this file already holds.
///
/// One JSON object per line, keys sorted (the export's checkpoint line, with `time` for people):
///
/// ```
/// {"key_id":"…","root":"…","signature":"…","time":"2025-11-24T16:00:00.000000Z","time_us":…,"tree_size":1000,"type":"checkpoint"}
/// ```
///
/// A line is appended and fsynced after the commit that signed its checkpoint and before that
/// commit's callers are answered: the file never holds a checkpoint the log did not commit, and a
/// crash between the two leaves at most that newest checkpoint unwitnessed.
public final class AuditWitness: Sendable {
    /// The file.
    public let url: URL
    private let descriptor = Mutex<Int32?>(nil)

    /// A witness kept in `url` (created on the first append).
    public init(url: URL) {
        self.url = url
    }

    deinit {
        descriptor.withLock { fd in
            if let fd { close(fd) }
        }
    }

    /// The line written for `checkpoint` (without its newline).
    public static func line(for checkpoint: AuditCheckpoint) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        return try! encoder.encode(Line(checkpoint: checkpoint))
    }

    /// Appends `checkpoint` and fsyncs the file (and, when this call created it, its directory).
    ///
    /// - Throws: ``StoreError/Code/unavailable`` when the file cannot be written; the caller then
    ///   does not acknowledge the commit that signed it.
    public func append(_ checkpoint: AuditCheckpoint) throws {
        var bytes = Self.line(for: checkpoint)
        bytes.append(0x0a)
        try descriptor.withLock { stored in
            let fd: Int32
            if let stored {
                fd = stored
            } else {
                fd = try open()
                stored = fd
            }
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw failure("cannot append to")
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw failure("cannot fsync") }
        }
    }

    /// Opens the file for appending, creating it (and syncing its directory) if needed; a torn
    /// last line left by a crash is ended with a newline so the next line starts clean.
    private func open() throws -> Int32 {
        let path = url.path
        let existed = FileManager.default.fileExists(atPath: path)
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot open") }
        if !existed {
            let directory = Glibc.open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directory >= 0 {
                _ = fsync(directory)
                close(directory)
            }
        }
        if let contents = FileManager.default.contents(atPath: path), let last = contents.last, last != 0x0a {
            var newline: UInt8 = 0x0a
            _ = write(fd, &newline, 1)
        }
        return fd
    }

    private func failure(_ what: String) -> StoreError {
        StoreError(
            .unavailable, "\(what) the audit witness \(url.path): \(String(cString: strerror(errno))); the commit that "
                + "signed the checkpoint is not acknowledged")
    }

    /// What a witness file holds.
    public struct Contents: Sendable, Hashable {
        /// Whether the file exists.
        public var exists: Bool
        /// The checkpoints, in file order.
        public var checkpoints: [AuditCheckpoint]
        /// Lines that do not read as a checkpoint (a write torn by a crash), by line number.
        public var unreadableLines: [Int]
    }

    /// Reads the file: every line that reads as a checkpoint.
    public func read() throws -> Contents {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if FileManager.default.fileExists(atPath: url.path) {
                throw StoreError(.unavailable, "cannot read the audit witness \(url.path)")
            }
            return Contents(exists: false, checkpoints: [], unreadableLines: [])
        }
        return Self.parse(data)
    }

    /// Parses witness text.
    public static func parse(_ data: Data) -> Contents {
        let decoder = JSONDecoder()
        var checkpoints: [AuditCheckpoint] = []
        var unreadable: [Int] = []
        for (index, line) in data.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0d }) { continue }
            if let checkpoint = try? decoder.decode(AuditCheckpoint.self, from: Data(line)) {
                checkpoints.append(checkpoint)
            } else {
                unreadable.append(index + 1)
            }
        }
        return Contents(exists: true, checkpoints: checkpoints, unreadableLines: unreadable)
    }

    private struct Line: Encodable {
        var checkpoint: AuditCheckpoint

        private enum Keys: String, CodingKey {
            case type, time
        }

        func encode(to encoder: any Encoder) throws {
            try checkpoint.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("checkpoint", forKey: .type)
            try container.encode(AuditTime.rfc3339(micros: checkpoint.timeMicros), forKey: .time)
        }
    }
}

extension AuditWitness {
    /// Appends the store's checkpoints newer than the witness's newest line (only those that
    /// verify under `publicKey`), and returns how many: run at start-up, so that a witness
    /// configured on a log that already has checkpoints, or one a crash left a checkpoint behind,
    /// holds the log's latest. It trusts the database at that moment, as a new witness must.
    @discardableResult
    public func catchUp(with store: any Store, publicKey: AuditPublicKey) async throws -> Int {
        let newest = try read().checkpoints.map(\.treeSize).max() ?? 0
        let missing = try await store.auditCheckpoints().filter {
            $0.treeSize > newest && $0.hasValidSignature(for: publicKey)
        }
        for checkpoint in missing {
            try append(checkpoint)
        }
        return missing.count
    }
}
