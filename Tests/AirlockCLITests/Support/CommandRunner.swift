import Foundation
import Testing

/// Runs the built `airlock` binary (and other programs) for the CLI and crash tests.
enum CommandRunner {
    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `.build/debug/airlock` (built by `swift build --build-tests`), or `$AIRLOCK_BINARY`.
    static var airlock: URL? {
        if let path = ProcessInfo.processInfo.environment["AIRLOCK_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let url = packageRoot.appendingPathComponent(".build/debug/airlock")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    /// The binary, or a recorded issue saying how to build it.
    static func requireAirlock() throws -> URL {
        guard let airlock else {
            Issue.record("no airlock binary at .build/debug/airlock: build it with `swift build --build-tests`")
            throw CancellationError()
        }
        return airlock
    }

    struct Outcome {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs a program to completion (at most `timeout` seconds, in `workingDirectory` or the current
    /// one) and collects its output. `environment` is added to this process's environment for the
    /// child only: a test never calls `setenv`, which races with every other test reading the
    /// environment or starting a process (and crashed the suite).
    static func run(
        _ executable: URL, _ arguments: [String], input: Data? = nil, in workingDirectory: URL? = nil,
        environment: [String: String] = [:], timeout: TimeInterval = 60
    ) async throws -> Outcome {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outURL = directory.url.appendingPathComponent("out")
        let errURL = directory.url.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let pipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : pipe
        try process.run()
        if let input {
            pipe.fileHandleForWriting.write(input)
            try pipe.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        // Waits without holding a thread of the shared pool: the whole suite runs in one process,
        // and a test that blocks one starves the others (a server test's shutdown once took 30 s).
        while process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning {
            process.terminate()
            Issue.record(
                "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            output: try String(contentsOf: outURL, encoding: .utf8),
            errorOutput: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// Runs `airlock ARGUMENTS`.
    static func airlock(_ arguments: [String], input: Data? = nil) async throws -> Outcome {
        try await run(try requireAirlock(), arguments, input: input)
    }

    /// `count` consecutive loopback ports none of which is taken now, below the kernel's
    /// ephemeral range (32768 and up), where the run's own outgoing connections could take one
    /// between this check and the server's bind. Random, so that tests running at once rarely
    /// pick the same.
    static func freePorts(_ count: Int = 1) -> Int {
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...(32_000 - count))
            if (base..<(base + count)).allSatisfy(isFree) { return base }
        }
        return Int.random(in: 20_000...(32_000 - count))
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
