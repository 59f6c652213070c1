import AirlockEngine
import AirlockTestSupport
import AirlockServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// `airlock submit`, `status` and `review …`: the built `airlock` binary, run as a subprocess
/// against a real server, as a person or a script would use it.
// (The limit catches a hang: it includes the wait for a shared-resources slot, which a loaded
// run once stretched past 190 s.)
@Suite(.timeLimit(.minutes(5)), .sharedResources)
struct CLIClientTests {
    @Test func aTwoApprovalTransferGoesFromSubmitToApproved() async throws {
        try await Server.with { url in
            let submitted = try await CLI.run(
                [
                    "submit", "--resource", "payments.transfer", "--operation", "create", "--set", "amount=25000", "--set",
                    "currency=USD", "--set", "from_account=acc-100200", "--set", "to_account=acc-200300",
                ], url: url, key: Key.agent)
            #expect(submitted.status == 0, "\(submitted)")
            let id = try #require(submitted.firstWord)
            #expect(id.hasPrefix("mut_"))
            #expect(submitted.stdout.contains("pending_review"))
            #expect(submitted.stdout.contains("large-transfer"))
            #expect(submitted.stdout.contains("0 of 2 approvals from finance"))

            let status = try await CLI.run(["status", id], url: url, key: Key.agent)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("\(id)  pending_review"))
            #expect(status.stdout.contains("submitted by agent-7; tier high"))

            let queue = try await CLI.run(["review", "list"], url: url, key: Key.alice)
            #expect(queue.status == 0, "\(queue)")
            let row = try #require(queue.stdout.split(separator: "\n").first { $0.hasPrefix(id) })
            #expect(row.contains("high") && row.contains("0/2") && row.contains("finance") && row.contains("agent-7"), "\(row)")

            let first = try await CLI.run(["review", "approve", id, "--note", "invoice checked"], url: url, key: Key.alice)
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout.contains("approved \(id): now pending_review; 1 of 2 approvals from finance"), "\(first)")

            // A client waiting on the status wakes when the second approval lands.
            let waiting = try CLIProcess(["status", id, "--wait", "30"], url: url, key: Key.agent)
            #expect(await waiting.stderrContains("to leave pending_review"))
            let second = try await CLI.run(["review", "approve", id], url: url, key: Key.bob)
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("now approved"), "\(second)")
            let waited = await waiting.result()
            #expect(waited.status == 0, "\(waited)")
            #expect(waited.stderr.contains("pending_review → approved"), "\(waited)")
            #expect(waited.stdout.contains("\(id)  approved"))
            #expect(waited.stdout.contains(#"approved by alice: "invoice checked""#))
            #expect(waited.stdout.contains("approved by bob"))

            let after = try await CLI.run(["status", id], url: url, key: Key.agent)
            #expect(after.stdout.contains("\(id)  approved"), "\(after)")
            let empty = try await CLI.run(["review", "list"], url: url, key: Key.alice)
            #expect(empty.stdout.contains("no open reviews"), "\(empty)")
        }
    }

    @Test func aReviewerAsksForChangesAndTheRevisionIsDecidedAfresh() async throws {
        try await Server.with { url in
            let submitted = try await CLI.run(
                [
                    "submit", "--resource", "payments.transfer", "--operation", "create", "--set", "amount=25000", "--set",
                    "currency=USD", "--set", "from_account=acc-100200", "--set", "to_account=acc-200300",
                ], url: url, key: Key.agent)
            let id = try #require(submitted.firstWord)
            let asked = try await CLI.run(
                [
                    "review", "request-changes", id, "--note", "half now, half after the audit", "--changes",
                    #"{"amount": 12000, "currency": "USD", "from_account": "acc-100200", "to_account": "acc-200300"}"#,
                ], url: url, key: Key.alice)
            #expect(asked.status == 0, "\(asked)")
            let revision = try #require(asked.stdout.components(separatedBy: "revision ").last?.split(separator: " ").first.map(String.init))
            #expect(asked.stdout.contains("asked for changes to \(id): revision \(revision) is pending_review (tier high)"), "\(asked)")
            let old = try await CLI.run(["status", id, "--json"], url: url, key: Key.agent)
            #expect(old.stdout.contains(#""status":"superseded""#) && old.stdout.contains(#""superseded_by":"\#(revision)""#), "\(old)")
            // The submitter cannot ask for changes to its own mutation; a bad --changes is caught before any request.
            let own = try await CLI.run(
                ["review", "request-changes", revision, "--note", "mine", "--changes", #"{"amount": 1}"#], url: url, key: Key.agent)
            #expect(own.status != 0 && own.stderr.contains("403"), "\(own)")
            let bad = try await CLI.run(["review", "request-changes", revision, "--note", "x", "--changes", "[1]"], url: url, key: Key.bob)
            #expect(bad.status != 0 && bad.stderr.contains("--changes must be a JSON object"), "\(bad)")
        }
    }

    @Test func aRefusalExitsNonZeroWithTheServersProblem() async throws {
        try await Server.with { url in
            let submitted = try await CLI.run(
                ["submit", "--file", "-", "--json"], url: url, key: Key.agent, stdin: Mutation.deleteCustomer)
            let id = try #require(submitted.json?["id"] as? String, "\(submitted)")

            let bySubmitter = try await CLI.run(["review", "approve", id], url: url, key: Key.agent)
            #expect(bySubmitter.status == 1)
            #expect(bySubmitter.stdout.isEmpty)
            #expect(bySubmitter.stderr.contains("403 Forbidden"), "\(bySubmitter)")
            #expect(bySubmitter.stderr.contains("does not have the reviewer role"), "\(bySubmitter)")

            let unknown = try await CLI.run(["status", "mut_nope"], url: url, key: Key.agent)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("404 Not found: no mutation with id 'mut_nope'"), "\(unknown)")

            let rejected = try await CLI.run(
                ["review", "reject", id, "--note", "the customer asked to stay"], url: url, key: Key.bob)
            #expect(rejected.status == 0, "\(rejected)")
            #expect(rejected.stdout.contains("rejected \(id): now rejected"), "\(rejected)")
            let twice = try await CLI.run(["review", "reject", id, "--note", "again"], url: url, key: Key.alice)
            #expect(twice.status == 1)
            #expect(twice.stderr.contains("409 Conflict"), "\(twice)")

            let badKey = try await CLI.run(["review", "list"], url: url, key: "not-a-key")
            #expect(badKey.status == 1)
            #expect(badKey.stderr.contains("401"), "\(badKey)")
        }
    }

    @Test func anInvalidMutationListsEveryErrorAndItsRecord() async throws {
        try await Server.with { url in
            let arguments = [
                "submit", "--resource", "payments.transfer", "--operation", "create", "--set", "amount=-5", "--set",
                "currency=XXX",
                "--set", "from_account=nope",
            ]
            let text = try await CLI.run(arguments, url: url, key: Key.agent)
            #expect(text.status == 1)
            #expect(text.stderr.contains("422"), "\(text)")
            #expect(text.stderr.contains("changes.amount:"), "\(text)")
            #expect(text.stderr.contains("changes.to_account: is required"), "\(text)")
            #expect(text.stderr.contains("mutation id: mut_"), "\(text)")

            let json = try await CLI.run(arguments + ["--json"], url: url, key: Key.agent)
            #expect(json.status == 1)
            let problem = try #require(json.json, "\(json)")
            #expect(problem["status"] as? Int == 422)
            #expect((problem["errors"] as? [Any])?.count ?? 0 >= 4, "\(json)")
        }
    }

    @Test func jsonOutputIsTheServersJSON() async throws {
        try await Server.with { url in
            let environment = ["REVIEWER_KEY": Key.carol]
            let low = try await CLI.run(
                [
                    "submit", "--json", "--resource", "catalog.product", "--operation", "update", "--target", "sku-1", "--set",
                    "title=Desk lamp",
                ],
                url: url, key: Key.agent)
            #expect(low.status == 0, "\(low)")
            let lowView = try #require(low.json, "\(low)")
            #expect(lowView["status"] as? String == "approved")
            #expect((lowView["changes"] as? [String: Any])?["title"] as? String == "Desk lamp")

            let high = try await CLI.run(
                ["submit", "--json", "--idempotency-key", "run-1", "--file", "-"], url: url, key: Key.agent,
                stdin: Mutation.deleteCustomer)
            let id = try #require(high.json?["id"] as? String, "\(high)")
            let replay = try await CLI.run(
                ["submit", "--idempotency-key", "run-1", "--file", "-"], url: url, key: Key.agent, stdin: Mutation.deleteCustomer)
            #expect(replay.firstWord == id, "\(replay)")
            #expect(replay.stdout.contains("an earlier submission with this idempotency key"), "\(replay)")

            let status = try await CLI.run(["status", id, "--json"], url: url, key: Key.agent)
            #expect(status.json?["status"] as? String == "pending_review", "\(status)")

            let reviews = try await CLI.run(
                ["review", "list", "--json", "--key-env", "REVIEWER_KEY"], url: url, key: nil, extra: environment)
            let items = try #require(reviews.json?["items"] as? [[String: Any]], "\(reviews)")
            #expect(items.map { $0["mutation_id"] as? String } == [id])

            let shown = try await CLI.run(
                ["review", "show", id, "--key-env", "REVIEWER_KEY"], url: url, key: nil, extra: environment)
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.stdout.contains("crm.customer delete cus-42"), "\(shown)")
            #expect(shown.stdout.contains("review approve \(id)"), "\(shown)")

            let voted = try await CLI.run(
                ["review", "approve", id, "--json", "--key-env", "REVIEWER_KEY"], url: url, key: nil, extra: environment)
            #expect(voted.json?["status"] as? String == "approved", "\(voted)")
        }
    }

    @Test func systemFreezeHoldsAnAgentsChangeAndThawReleasesIt() async throws {
        try await Server.with { url in
            let shown = try await CLI.run(["system"], url: url, key: Key.agent)
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.stdout.contains("freeze            off"), "\(shown)")
            #expect(shown.stdout.contains("queue depth       0 open reviews"), "\(shown)")
            #expect(shown.stdout.contains("policy            payments-crm-catalog"), "\(shown)")

            let refused = try await CLI.run(["system", "freeze", "--reason", "incident"], url: url, key: Key.alice)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("403"), "\(refused)")
            let noReason = try await CLI.run(["system", "freeze"], url: url, key: Key.root)
            #expect(noReason.status != 0)
            #expect(noReason.stderr.contains("--reason"), "\(noReason)")

            let frozen = try await CLI.run(["system", "freeze", "--reason", "payments incident"], url: url, key: Key.root)
            #expect(frozen.status == 0, "\(frozen)")
            #expect(frozen.stdout.contains("frozen"), "\(frozen)")
            #expect(frozen.stdout.contains("freeze            ON since"), "\(frozen)")
            #expect(frozen.stdout.contains("set by root: payments incident"), "\(frozen)")
            let held = try await CLI.run(
                ["submit", "--json", "--resource", "catalog.product", "--operation", "update", "--target", "sku-1", "--set", "title=Lamp"],
                url: url, key: Key.agent)
            #expect(held.json?["status"] as? String == "pending_review", "\(held)")
            let json = try await CLI.run(["system", "show", "--json"], url: url, key: Key.agent)
            #expect((json.json?["freeze"] as? [String: Any])?["on"] as? Bool == true, "\(json)")
            #expect(json.json?["queue_depth"] as? Int == 1, "\(json)")

            let thawed = try await CLI.run(["system", "thaw", "--reason", "resolved"], url: url, key: Key.root)
            #expect(thawed.status == 0, "\(thawed)")
            #expect(thawed.stdout.contains("freeze            off since"), "\(thawed)")
            let free = try await CLI.run(
                ["submit", "--json", "--resource", "catalog.product", "--operation", "update", "--target", "sku-1", "--set", "title=Lamp"],
                url: url, key: Key.agent)
            #expect(free.json?["status"] as? String == "approved", "\(free)")
        }
    }

    @Test func anUnreachableServerSaysSo() async throws {
        let run = try await CLI.run(["status", "mut_1"], url: "http://127.0.0.1:1", key: Key.agent)
        #expect(run.status == 69, "\(run)")
        #expect(run.stderr.contains("cannot reach the Airlock server at http://127.0.0.1:1"), "\(run)")
    }

    @Test func noKeyNoRequest() async throws {
        let run = try await CLI.run(["review", "list"], url: "http://127.0.0.1:1", key: nil)
        #expect(run.status == 78, "\(run)")
        #expect(run.stderr.contains("no API key: $AIRLOCK_KEY is not set or empty"), "\(run)")
        let named = try await CLI.run(["review", "list", "--key-env", "MISSING_KEY"], url: "http://127.0.0.1:1", key: Key.agent)
        #expect(named.status == 78, "\(named)")
        #expect(named.stderr.contains("$MISSING_KEY"), "\(named)")
    }

    @Test func usageMistakesAreCaughtBeforeAnyRequest() async throws {
        let noResource = try await CLI.run(["submit", "--set", "a=1"], url: "http://127.0.0.1:1", key: Key.agent)
        #expect(noResource.status == 64, "\(noResource)")
        #expect(noResource.stderr.contains("--resource and --operation"), "\(noResource)")
        let noNote = try await CLI.run(["review", "reject", "mut_1"], url: "http://127.0.0.1:1", key: Key.agent)
        #expect(noNote.status == 64, "\(noNote)")
        let strayNumber = try await CLI.run(["status", "mut_1", "5"], url: "http://127.0.0.1:1", key: Key.agent)
        #expect(strayNumber.status == 64, "\(strayNumber)")
    }
}

// MARK: - The server

extension CLIClientTests {
    /// The bearer keys of the test configuration's principals.
    enum Key {
        static let agent = "cli-key-agent-7"
        static let alice = "cli-key-alice"
        static let bob = "cli-key-bob"
        static let carol = "cli-key-carol"
        static let root = "cli-key-root"
    }

    /// Mutation documents for `--file -`.
    enum Mutation {
        /// High: deleting a customer waits for one approval from `support-leads`.
        static let deleteCustomer = #"{"resource": "crm.customer", "operation": "delete", "target": "cus-42"}"#
    }

    /// A real server on a free port, built from a configuration file's text.
    enum Server {
        /// Tuesday 2026-01-06 10:00 UTC, in the example pack's business hours.
        static let businessHours = Date(timeIntervalSince1970: 1_767_693_600)

        /// Runs `body` with the URL of a fresh server, then stops it and removes its state.
        static func with(_ body: @Sendable (String) async throws -> Void) async throws {
            try await with { url, _ in try await body(url) }
        }

        /// Runs `body` with the URL of a fresh server and its state directory. With `executors`,
        /// the server applies mutations to a fresh demo database (as the embedded defaults do);
        /// without, callers execute them.
        static func with(
            executors: Bool = false, _ body: @Sendable (_ url: String, _ stateDirectory: String) async throws -> Void
        ) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { removeTemporaryFolder(directory) }
            var configuration = try GatewayConfiguration.parse(
                configuration(stateDirectory: directory), file: directory + "/airlock.yaml")
            configuration.port = 0
            if executors {
                let database = directory + "/" + DemoDatabase.fileName
                try DemoDatabase.create(at: database)
                configuration.executors = DemoDatabase.executorConfiguration(databasePath: database)
            }
            var logger = Logger(label: "airlock-cli-test")
            logger.logLevel = .warning
            let (application, _) = try await buildApplication(configuration, clock: ManualClock(businessHours), logger: logger)
            try await application.test(.live) { client in
                let port = try #require(client.port)
                try await body("http://localhost:\(port)", directory)
            }
        }

        private static func configuration(stateDirectory: String) -> String {
            let pools = "[finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]"
            func reviewer(_ id: String, _ key: String) -> String {
                "  - { id: \(id), kind: human, roles: [reviewer], pools: \(pools), key_sha256: \(PrincipalDirectory.hash(key: key)) }"
            }
            return """
                state_dir: \(stateDirectory)
                policy: \(CommandRunner.packageRoot.appendingPathComponent("examples/policies").path)
                store: { synchronous: normal }
                principals:
                  - { id: agent-7, kind: agent, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: Key.agent)) }
                \(reviewer("alice", Key.alice))
                \(reviewer("bob", Key.bob))
                \(reviewer("carol", Key.carol))
                  - { id: root, kind: human, roles: [admin], key_sha256: \(PrincipalDirectory.hash(key: Key.root)) }
                """
        }
    }
}

// MARK: - The command line

extension CLIClientTests {
    /// What one run of `airlock` did.
    struct Run: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        /// Standard output read as a JSON object.
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }

        /// The first word of standard output (the mutation id of a report).
        var firstWord: String? { stdout.split(whereSeparator: \.isWhitespace).first.map(String.init) }

        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs the built `airlock` binary.
    enum CLI {
        /// Runs `airlock arguments` with only `AIRLOCK_URL`, `AIRLOCK_KEY` (unless `key` is nil) and
        /// `extra` in its environment, and `stdin` as its input.
        static func run(
            _ arguments: [String], url: String, key: String?, stdin: String? = nil, extra: [String: String] = [:]
        ) async throws -> Run {
            try await CLIProcess(arguments, url: url, key: key, stdin: stdin, extra: extra).result()
        }
    }

    /// A running `airlock` process whose output is collected as it arrives, so a test can wait
    /// for a line (a long poll has started) without sleeping.
    final class CLIProcess: @unchecked Sendable {  // Process is not Sendable: set up in init, then only stopped
        private struct Output {
            var stdout = Data()
            var stderr = Data()
            var openStreams = 2
            var exitStatus: Int32?
            var watchers: [(text: String, continuation: CheckedContinuation<Bool, Never>)] = []
            var finishers: [CheckedContinuation<Run, Never>] = []

            var finished: Run? {
                guard openStreams == 0, let exitStatus else { return nil }
                return Run(
                    status: exitStatus, stdout: String(decoding: stdout, as: UTF8.self),
                    stderr: String(decoding: stderr, as: UTF8.self))
            }
        }

        private let process = Process()
        private let output = Mutex(Output())

        init(_ arguments: [String], url: String, key: String?, stdin: String? = nil, extra: [String: String] = [:]) throws {
            process.executableURL = try CommandRunner.requireAirlock()
            process.arguments = arguments
            var environment = extra
            environment["PATH"] = "/usr/bin:/bin"
            environment["AIRLOCK_URL"] = url
            if let key { environment["AIRLOCK_KEY"] = key }
            process.environment = environment
            let (out, err, input) = (Pipe(), Pipe(), Pipe())
            // Children started at the same time by other tests must not inherit these pipes:
            // one holding a write end would keep this run's output open after it exited.
            for pipe in [out, err, input] {
                for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                    _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
                }
            }
            process.standardOutput = out
            process.standardError = err
            process.standardInput = stdin == nil ? FileHandle.nullDevice : input
            process.terminationHandler = { [self] process in
                let status = process.terminationStatus
                settle { $0.exitStatus = status }
            }
            try process.run()
            watch(out.fileHandleForReading, isError: false)
            watch(err.fileHandleForReading, isError: true)
            if let stdin {
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try input.fileHandleForWriting.close()
            }
            // A stuck client must fail its test, not hang the run.
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { [process] in
                if process.isRunning { process.terminate() }
            }
        }

        /// Whether standard error comes to contain `text` before the process ends.
        func stderrContains(_ text: String) async -> Bool {
            await withCheckedContinuation { continuation in
                let answer: Bool? = output.withLock { output in
                    if String(decoding: output.stderr, as: UTF8.self).contains(text) { return true }
                    if output.finished != nil { return false }
                    output.watchers.append((text, continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        }

        /// The run, once the process ended and its output is read.
        func result() async -> Run {
            await withCheckedContinuation { continuation in
                let run: Run? = output.withLock { output in
                    if let run = output.finished { return run }
                    output.finishers.append(continuation)
                    return nil
                }
                if let run { continuation.resume(returning: run) }
            }
        }

        /// Reads a pipe to its end on a thread of its own (blocking reads, outside the concurrency
        /// pool), recording what arrives.
        private func watch(_ handle: FileHandle, isError: Bool) {
            Thread.detachNewThread { [self] in
                while true {
                    let data = handle.availableData
                    settle { output in
                        if data.isEmpty {
                            output.openStreams -= 1
                        } else if isError {
                            output.stderr.append(data)
                        } else {
                            output.stdout.append(data)
                        }
                    }
                    if data.isEmpty { return }
                }
            }
        }

        /// Applies a change, then wakes whoever it concerns.
        private func settle(_ change: (inout Output) -> Void) {
            let (woken, done): ([(CheckedContinuation<Bool, Never>, Bool)], [(CheckedContinuation<Run, Never>, Run)]) =
                output.withLock { output in
                    change(&output)
                    let stderr = String(decoding: output.stderr, as: UTF8.self)
                    let finished = output.finished
                    var woken: [(CheckedContinuation<Bool, Never>, Bool)] = []
                    output.watchers.removeAll { watcher in
                        if stderr.contains(watcher.text) {
                            woken.append((watcher.continuation, true))
                            return true
                        }
                        if finished != nil {
                            woken.append((watcher.continuation, false))
                            return true
                        }
                        return false
                    }
                    guard let finished else { return (woken, []) }
                    let done = output.finishers.map { ($0, finished) }
                    output.finishers = []
                    return (woken, done)
                }
            for (continuation, answer) in woken { continuation.resume(returning: answer) }
            for (continuation, run) in done { continuation.resume(returning: run) }
        }
    }
}
