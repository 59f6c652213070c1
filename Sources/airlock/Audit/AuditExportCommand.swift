import AirlockEngine
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit export`: streams records (and the checkpoints among them) as JSON lines.
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Stream audit records and checkpoints as JSON lines.",
        discussion: """
            One JSON object per line: first the store's head marker and checkpoint_every ("type":"head"), \
            then records ("type":"record") in order up to that head, each checkpoint ("type":"checkpoint") \
            right after the record that completes its tree. \
            `scripts/verify_audit.py` re-verifies a full export independently (docs/audit.md).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl
    }

    @OptionGroup var location: StoreLocationOptions

    @Option(
        help: ArgumentHelp(
            "Start at this sequence number, or at the first record at or after this RFC 3339 time.",
            valueName: "seq-or-time"))
    var since: String?

    @Option(help: "The output format.")
    var format: Format = .jsonl

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to a file instead.", valueName: "file"))
    var output: String?

    func run() async throws {
        let store = try await location.openForReading()
        let first: Int64
        do {
            first = try await firstSeq(in: store)
        } catch {
            try? await store.close()
            throw error
        }
        let sink = try LineSink(path: output)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The head marker first: the export ends where it says the log ends (records a live
        // server appends meanwhile are left for the next export), and a verifier compares the
        // two. A missing marker is exported as such (its fields null).
        let head: AuditHead?
        do {
            head = try await store.auditHead()
        } catch let error as StoreError where error.code == .corrupted {
            head = nil
        }
        try sink.write(
            encoder.encode(ExportHead(head: head, checkpointEvery: location.configuration.checkpointEvery)))
        let end = head?.size ?? .max
        var checkpoints = try await store.auditCheckpoints().filter { $0.treeSize >= first && $0.treeSize <= end }[...]
        var after = first - 1
        while after < end {
            let page = try await store.auditRecords(after: after, limit: Int(min(10_000, end - after)))
            for record in page {
                try sink.write(encoder.encode(ExportLine(type: "record", record: record)))
                while let checkpoint = checkpoints.first, checkpoint.treeSize <= record.seq {
                    checkpoints.removeFirst()
                    if checkpoint.treeSize == record.seq {
                        try sink.write(encoder.encode(ExportLine(type: "checkpoint", checkpoint: checkpoint)))
                    }
                }
            }
            guard let last = page.last else { break }
            after = last.seq
        }
        try sink.close()
        try await store.close()
    }

    private func firstSeq(in store: any Store) async throws -> Int64 {
        guard let since else { return 1 }
        if let seq = Int64(since) {
            guard seq >= 1 else { throw ValidationError("--since takes a sequence number from 1, or a time") }
            return seq
        }
        guard let micros = AuditTime.micros(rfc3339: since) else {
            throw ValidationError("--since takes a sequence number or an RFC 3339 time like 2025-11-24T16:00:00Z")
        }
        let head = try await store.auditHead()
        return try await store.firstAuditSeq(atOrAfter: Date(timeIntervalSince1970: Double(micros) / 1e6))
            ?? head.size + 1
    }
}

/// The first line of an export: the store's head marker and checkpoint cadence, so that an
/// offline verifier can see a truncated log and deleted checkpoints as `airlock audit verify` does.
struct ExportHead: Encodable {
    var head: AuditHead?
    var checkpointEvery: Int

    static let format = "airlock-audit-export/v2"

    private enum Keys: String, CodingKey {
        case type, format, size
        case checkpointSize = "checkpoint_size"
        case lastHash = "last_hash"
        case checkpointEvery = "checkpoint_every"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("head", forKey: .type)
        try container.encode(Self.format, forKey: .format)
        try container.encode(head?.size, forKey: .size)
        try container.encode(head?.checkpointSize, forKey: .checkpointSize)
        try container.encode(head?.lastHash, forKey: .lastHash)
        try container.encode(checkpointEvery, forKey: .checkpointEvery)
    }
}

/// One line of an export: a record or a checkpoint, tagged with `type`.
struct ExportLine: Encodable {
    var type: String
    var record: AuditRecord?
    var checkpoint: AuditCheckpoint?

    private enum TypeKey: String, CodingKey {
        case type
    }

    func encode(to encoder: any Encoder) throws {
        try record?.encode(to: encoder)
        try checkpoint?.encode(to: encoder)
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type, forKey: .type)
    }
}

/// Buffered line output to a file or the standard output.
final class LineSink {
    private let handle: FileHandle
    private let ownsHandle: Bool
    private var buffer = Data()

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("cannot create \(path)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            ownsHandle = true
        } else {
            handle = FileHandle.standardOutput
            ownsHandle = false
        }
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ line: Data) throws {
        buffer.append(line)
        buffer.append(0x0a)
        if buffer.count >= 1 << 20 {
            try flush()
        }
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if ownsHandle {
            try handle.close()
        }
    }
}
