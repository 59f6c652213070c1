import AirlockEngine
import ArgumentParser
import AirlockStore
import Foundation
import NIOCore
import NIOPosix

/// `airlock bench serve`: starts a real server (this binary, `airlock serve`, SQLite with
/// `synchronous=FULL` or PostgreSQL, the example pack) and drives it over HTTP/1.1 keep-alive from
/// many concurrent clients with mostly low-tier mutations; prints throughput, p50/p99 latency and
/// the server's peak memory. On PostgreSQL it can start several instances on the one database,
/// the clients spread over them.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load a real server over HTTP/1.1 keep-alive and report decisions/s, p50/p99 and peak memory."
    )

    @Option(help: "Concurrent clients (one keep-alive connection each).")
    var clients = 64

    @Option(help: "Seconds of measured load (after a warm-up).")
    var seconds = 10.0

    @Option(help: "Seconds of warm-up load, not measured.")
    var warmup = 2.0

    @Option(help: "Share of requests that are high-tier transfers (the rest are low-tier stock updates).")
    var highShare = 0.02

    @Option(help: "Port for the server under test.")
    var port = 18_181

    @Option(help: "The store: sqlite, or postgres (the database from --database-url or AIRLOCK_DATABASE_URL).")
    var store: StoreKind?

    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "The PostgreSQL database to run on (an empty one: its schema is created); implies --store postgres.",
            valueName: "postgres://…"))
    var databaseURL: String?

    @Option(help: "Instances of the server on the one PostgreSQL database, on consecutive ports from --port.")
    var instances = 1

    @Flag(help: "Measure votes: each client submits a high-tier mutation and approves it until it is decided; votes/s.")
    var votes = false

    @Option(help: "Pace the clients to this many mutations per second in all (default: back to back).")
    var rate: Double?

    @Option(
        name: .customLong("report-every"),
        help: "Print throughput, latency and the server's memory every this many seconds (a soak run).")
    var reportEvery: Double?

    enum StoreKind: String, ExpressibleByArgument, CaseIterable {
        case sqlite
        case postgres
    }

    /// The PostgreSQL database to run on, or nil for SQLite.
    private func postgresURL() throws -> String? {
        let environment = ProcessInfo.processInfo.environment["AIRLOCK_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        switch store {
        case .sqlite:
            guard databaseURL == nil else { throw ValidationError("--database-url is for --store postgres") }
            return nil
        case .postgres:
            guard let url = databaseURL ?? environment else {
                throw ValidationError("--store postgres needs the database: --database-url postgres://… or AIRLOCK_DATABASE_URL")
            }
            return url
        case nil:
            return databaseURL
        }
    }

    func validate() throws {
        guard instances >= 1 else { throw ValidationError("--instances must be 1 or more") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be more than 0") }
        if let reportEvery, !(reportEvery >= 1) { throw ValidationError("--report-every must be 1 second or more") }
        if instances > 1, try postgresURL() == nil {
            throw ValidationError("several instances share a PostgreSQL database: add --store postgres (SQLite serves one)")
        }
    }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; measure with: swift build -c release && .build/release/airlock bench serve")
        #endif
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-bench-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let postgres = try postgresURL()
        let ports = (0..<instances).map { port + $0 }
        // One configuration per instance (its port), the same principals and state directory (the
        // audit signing key) in all.
        var keys: [String] = []
        let reviewerKeys = ["rev-a", "rev-b", "rev-c"].map { "bench-\($0)-\(UInt64.random(in: 0 ... .max))" }
        var configurations: [URL] = []
        for (index, instancePort) in ports.enumerated() {
            let instanceDirectory = instances == 1 ? directory : directory.appendingPathComponent("instance-\(index + 1)")
            try FileManager.default.createDirectory(at: instanceDirectory, withIntermediateDirectories: true)
            keys = try BenchSetup.write(
                into: instanceDirectory, clients: clients, port: instancePort, keys: keys.isEmpty ? nil : keys,
                reviewerKeys: reviewerKeys, stateDirectory: directory.appendingPathComponent("state"))
            configurations.append(instanceDirectory.appendingPathComponent("airlock.yaml"))
        }
        let fsyncBefore = BenchSetup.fsyncMedian(in: directory)

        var environment = ProcessInfo.processInfo.environment
        if let postgres {
            let store = try await PostgresStore(
                url: postgres, configuration: PostgresStore.Configuration(signingKey: nil, maximumConnections: 1, migrate: true))
            try await store.close()
            environment["AIRLOCK_DATABASE_URL"] = postgres
            say("store: PostgreSQL \(store.describe), \(instances) instance(s)")
        } else {
            environment["AIRLOCK_DATABASE_URL"] = nil
            say("store: SQLite (synchronous=FULL)")
        }
        var servers: [Process] = []
        defer {
            for server in servers where server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        for configuration in configurations {
            let server = Process()
            server.environment = environment
            server.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            server.arguments = ["serve", "--config", configuration.path]
            server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            server.standardError = FileHandle.standardError
            try server.run()
            servers.append(server)
            // One at a time: the first creates the signing key's checkpoints and the active policy.
            try await BenchSetup.waitUntilReady(port: ports[servers.count - 1], timeout: 60)
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var load = LoadGenerator(
            group: group, ports: ports, keys: keys, highShare: highShare)
        load.rate = rate
        if votes { load.reviewerKeys = reviewerKeys }
        let unit = votes ? "votes" : "decisions"
        say("warming up for \(warmup) s with \(clients) clients\(rate.map { String(format: " paced to %.0f/s", $0) } ?? "")…")
        _ = try await load.run(clients: clients, seconds: warmup)
        say("measuring for \(seconds) s…")
        let serversBefore = servers.map { BenchSetup.cpuSeconds(pid: $0.processIdentifier) }
        let selfBefore = BenchSetup.ownCPUSeconds()
        let result: LoadGenerator.Result
        if let reportEvery {
            // A soak: the run in intervals, a line each, so that a drift in memory or latency shows.
            var total = LoadGenerator.Result()
            var elapsed = 0.0
            while elapsed < seconds - 0.001 {
                let chunk = min(reportEvery, seconds - elapsed)
                let part = try await load.run(clients: clients, seconds: chunk)
                elapsed += chunk
                let sorted = part.latencies.sorted()
                func at(_ p: Double) -> Double {
                    sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
                }
                let memory = servers.map { BenchSetup.memory(pid: $0.processIdentifier).map { "\($0 / 1024)" } ?? "?" }
                // The SQLite database and its log on disk: a slower minute of a long run may be
                // the database outgrowing the page cache.
                let onDisk = postgres == nil ? BenchSetup.bytes(in: directory.appendingPathComponent("state")).map { ", store \($0 >> 20) MiB" } : nil
                say(String(format: "  %6.0f s: %6.0f %@/s, p50 %.2f ms, p99 %.2f ms, %d errors, server memory (VmRSS) %@ MiB%@",
                           elapsed, Double(part.completed) / part.elapsed, unit, at(0.5), at(0.99), part.errors,
                           memory.joined(separator: ", "), onDisk ?? ""))
                total.add(part)
            }
            result = total
        } else {
            result = try await load.run(clients: clients, seconds: seconds)
        }
        let serverCPUs = zip(servers, serversBefore).map { server, before in
            BenchSetup.cpuSeconds(pid: server.processIdentifier).map { $0 - (before ?? 0) }
        }
        let serverCPU: Double? = serverCPUs.contains { $0 == nil } ? nil : serverCPUs.reduce(0) { $0 + ($1 ?? 0) }
        let loadCPU = BenchSetup.ownCPUSeconds() - selfBefore
        let peaks = servers.map { BenchSetup.peakMemory(pid: $0.processIdentifier) }
        for server in servers {
            server.terminate()
            server.waitUntilExit()
        }
        try await group.shutdownGracefully()

        let all = result.latencies.sorted()
        let other = result.otherTierLatencies.sorted()
        func percentile(_ p: Double, of latencies: [UInt32] = all) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000
        }
        let throughput = Double(result.completed) / result.elapsed
        if votes {
            say(String(format: "votes: %d in %.2f s (%d errors)", result.completed, result.elapsed, result.errors))
        } else {
            say(String(format: "requests: %d in %.2f s (%d errors; %d low, %d other tiers)", result.completed, result.elapsed,
                       result.errors, result.lowTier, result.completed - result.lowTier))
        }
        if let firstError = result.firstError { say("first unexpected answer: \(firstError)") }
        say(String(format: "throughput: %.0f %@/s", throughput, unit))
        say(String(format: "latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms", percentile(0.5), percentile(0.9), percentile(0.99), percentile(0.999), percentile(1.0)))
        // The other tiers open reviews and write more: their share of the slowest answers.
        let low = all.count - other.count
        if low > 0, !votes {
            var lowOnly: [UInt32] = []
            lowOnly.reserveCapacity(low)
            var j = 0
            for value in all {
                if j < other.count, other[j] == value {
                    j += 1
                } else {
                    lowOnly.append(value)
                }
            }
            say(String(format: "  low tier only: p50 %.2f ms, p99 %.2f ms; other tiers: p50 %.2f ms, p99 %.2f ms",
                       percentile(0.5, of: lowOnly), percentile(0.99, of: lowOnly), percentile(0.5, of: other), percentile(0.99, of: other)))
        }
        if let serverCPU, result.completed > 0 {
            let n = Double(result.completed)
            say(String(format: "cpu per %@: server%@ %.0f µs (%.2f cores), load generator %.0f µs (%.2f cores)",
                       votes ? "vote (with its share of the submission)" : "decision", instances > 1 ? "s together" : "", serverCPU / n * 1e6, serverCPU / result.elapsed, loadCPU / n * 1e6,
                       loadCPU / result.elapsed))
        }
        let fsyncAfter = BenchSetup.fsyncMedian(in: directory)
        say(String(format: "disk: fsync of 64 KiB, median of 50, %.2f ms before the run and %.2f ms after", fsyncBefore * 1e3, fsyncAfter * 1e3))
        say("server peak memory (VmHWM): \(peaks.map { $0.map { "\($0 / 1024) MiB" } ?? "unknown" }.joined(separator: ", "))")
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
    }
}

/// The server's configuration and pack for the benchmark.
enum BenchSetup {
    /// Writes `airlock.yaml` and the pack; returns the clients' keys.
    ///
    /// The pack is the example pack with its rate rules' thresholds raised: the benchmark sends
    /// thousands of mutations a second from a few principals, which the example's burst rules
    /// would (rightly) send to review.
    static func write(
        into directory: URL, clients: Int, port: Int, keys given: [String]? = nil, reviewerKeys: [String] = [],
        stateDirectory: URL? = nil
    ) throws -> [String] {
        let packDirectory = directory.appendingPathComponent("policies")
        try FileManager.default.createDirectory(at: packDirectory, withIntermediateDirectories: true)
        let source = try PolicySource.files(at: "examples/policies")
        for (name, text) in source {
            var text = text
            text = text.replacingOccurrences(of: "signals.actor_rate_1m > 30", with: "signals.actor_rate_1m > 100000000")
            text = text.replacingOccurrences(of: "signals.actor_rate_1h > 600", with: "signals.actor_rate_1h > 100000000")
            try text.write(
                to: packDirectory.appendingPathComponent((name as NSString).lastPathComponent), atomically: true, encoding: .utf8)
        }
        var keys: [String] = []
        var yaml = """
            listen: 127.0.0.1:\(port)
            state_dir: \(stateDirectory?.path ?? "state")
            policy: policies
            store: { synchronous: full }
            principals:

            """
        for i in 0..<clients {
            let key = given?[i] ?? "bench-key-\(i)-\(UInt64.random(in: 0 ... .max))"
            keys.append(key)
            yaml += "  - { id: svc-bench-\(i), kind: service, roles: [submitter], key_sha256: \(PrincipalDirectory.hash(key: key)) }\n"
        }
        for (index, reviewer) in ["rev-a", "rev-b", "rev-c"].enumerated() {
            // People's default rate limit is for people; these vote as fast as the clients submit.
            let key = index < reviewerKeys.count ? ", key_sha256: \(PrincipalDirectory.hash(key: reviewerKeys[index])), rate_limit: none" : ""
            yaml += "  - { id: \(reviewer), kind: human, roles: [reviewer], pools: [finance, ops-reviewers, ops-leads, duty-managers, pricing, privacy, support-leads]\(key) }\n"
        }
        try yaml.write(to: directory.appendingPathComponent("airlock.yaml"), atomically: true, encoding: .utf8)
        return keys
    }

    static func waitUntilReady(port: Int, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let socket = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await socket.close()
                return
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw ValidationError("the server did not start listening on port \(port) within \(Int(timeout)) s")
    }

    /// The median time to write 64 KiB into a file of `directory` and fsync it: how fast the disk
    /// makes a commit durable at the moment (on shared machines it varies a hundredfold).
    static func fsyncMedian(in directory: URL) -> Double {
        let path = directory.appendingPathComponent("fsync-probe").path
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        guard fd >= 0 else { return .nan }
        defer {
            close(fd)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x5a, count: 65_536)
        var times: [Double] = []
        for i in 0..<50 {
            _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(i % 16) * 65_536) }
            let start = DispatchTime.now().uptimeNanoseconds
            fsync(fd)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// User plus system CPU seconds a process has used, from /proc.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// User plus system CPU seconds this process has used.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident memory in KiB, from /proc.
    static func peakMemory(pid: Int32) -> Int? {
        statusField("VmHWM:", pid: pid)
    }

    /// The bytes of the regular files directly in `folder`; `nil` when it cannot be listed.
    static func bytes(in folder: URL) -> Int? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return nil }
        return names.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    /// Resident memory now in KiB, from /proc.
    static func memory(pid: Int32) -> Int? {
        statusField("VmRSS:", pid: pid)
    }

    private static func statusField(_ field: String, pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

