import AirlockStore
import ArgumentParser
import Foundation

/// `airlock bench audit`: audit log throughput through the real store, `synchronous=FULL`.
struct BenchAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audited records per second: one at a time, group commit, and verification.",
        discussion: """
            Appends through a real SQLiteStore in a temporary state directory with synchronous=FULL \
            (every acknowledged record is on disk). Run from a release build.
            """)

    @Option(help: "Records appended one at a time, each awaited before the next.")
    var single = 2_000

    @Option(help: "Concurrent appenders for group commit.")
    var appenders = 64

    @Option(help: "Records per appender for group commit.")
    var perAppender = 500

    @Option(help: "Records in the log whose verification is timed.")
    var verifyRecords = 1_000_000

    /// A decision-sized payload: what a `decided` record carries.
    static let payload =
        #"{"approvals":[{"count":2,"pool":"finance"}],"data":{"classes":["confidential","financial"],"max_class":"confidential","records":1},"reasons":[{"message":"Transfers of 10,000 or more need two finance approvals","rule":"large-transfer"}],"score":70,"signals":{"actor_rate_1m":3,"amount_zscore":1.42,"first_time_pair":false,"off_hours":false},"tier":"high"}"#

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "airlock-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore.open(StateDirectory(directory))
        let key = try AuditSigningKey.load(from: StateDirectory(directory).signingKeyURL)
        Output.line(
            "airlock bench audit: SQLite WAL, synchronous=FULL (\(try await store.synchronousSetting() == 2 ? "on" : "OFF?")), payload \(Self.payload.utf8.count) bytes, checkpoint every 1000 records, \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )

        var started = ContinuousClock.now
        for index in 0..<single {
            _ = try await store.apply(Self.change(index))
        }
        let singleRate = Double(single) / Self.seconds(since: started)
        Output.line(
            "single-record commits:           \(Self.format(singleRate)) records/s (\(single) records, each awaited)")

        started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for index in 0..<perAppender {
                        _ = try await store.apply(Self.change(appender * perAppender + index))
                    }
                }
            }
            try await group.waitForAll()
        }
        let groupRate = Double(appenders * perAppender) / Self.seconds(since: started)
        Output.line(
            "group commit, \(appenders) appenders:     \(Self.format(groupRate)) records/s (\(appenders * perAppender) records, each appender awaits its own)"
        )

        // Fill the log to the verification size in large changes, then time verification.
        let head = try await store.auditHead()
        var remaining = max(0, verifyRecords - Int(head.size))
        while remaining > 0 {
            var change = StoreChange(at: Date())
            for index in 0..<min(remaining, 5_000) {
                change.appendAudit(Self.entry(index))
            }
            remaining -= change.operations.count
            _ = try await store.apply(change)
        }
        started = ContinuousClock.now
        let report = try await store.verifyAudit(publicKey: key.publicKey)
        let verifySeconds = Self.seconds(since: started)
        guard report.isIntact else {
            throw ValidationError("verification found problems: \(report.problems)")
        }
        Output.line(
            "verify:                          \(Self.format(Double(report.recordCount) / verifySeconds)) records/s (\(report.recordCount) records, \(report.checkpointCount) checkpoint signatures, \(String(format: "%.2f", verifySeconds)) s)"
        )
        try await store.close()
    }

    private static func entry(_ index: Int) -> AuditEntry {
        AuditEntry(
            kind: .decided, actor: "policy", payload: payload, policyVersion: "pv-3f2a9c", mutationID: "m-\(index)")
    }

    private static func change(_ index: Int) -> StoreChange {
        var change = StoreChange(at: Date())
        change.appendAudit(entry(index))
        return change
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private static func format(_ rate: Double) -> String {
        let value = Int(rate.rounded())
        var text = String(value)
        var index = text.count - 3
        while index > 0 {
            text.insert(",", at: text.index(text.startIndex, offsetBy: index))
            index -= 3
        }
        return text
    }
}
