import Foundation

/// A real, throwaway PostgreSQL 15 server for tests: `initdb` into a new folder under `/tmp`,
/// started with `pg_ctl`, listening on a Unix socket in that folder and on a free loopback TCP
/// port, with trust authentication for the `postgres` superuser.
///
/// PostgreSQL refuses to run as root, so when the tests run as root every server command runs as
/// the `postgres` OS user (through `runuser`, or `su` where there is no `runuser`) and the folder
/// belongs to that user. Otherwise the commands run as the current user.
///
/// Most tests share one server through ``shared()`` and take a database each with
/// ``createDatabase()``. A cluster from ``start()`` belongs to its caller: ``stop()`` it, or let it
/// go (the last reference stops it too).
///
/// The calls block the calling thread while `initdb`, `pg_ctl` or `psql` run (a start takes a
/// second or two, a database a fraction of one).
public final class PostgresCluster: Sendable {
    /// The cluster's folder: the data directory (`data`), the server log (`server.log`) and the
    /// Unix socket.
    public let directory: URL
    /// The loopback TCP port the server listens on (127.0.0.1 only).
    public let port: Int
    /// The folder that holds the server's Unix socket (`.s.PGSQL.<port>`): pass it as the host to
    /// libpq-style clients (`psql -h`).
    public let socketDirectory: String
    /// The superuser role, with trust authentication: always `postgres` (`initdb -U postgres`).
    public let user: String

    private let binaries: URL
    private let launcher: ClusterLauncher
    private let stopped = ClusterLocked(false)

    private var dataDirectory: URL { directory.appendingPathComponent("data") }
    private var logFile: URL { directory.appendingPathComponent("server.log") }

    private init(directory: URL, port: Int, binaries: URL, launcher: ClusterLauncher) {
        self.directory = directory
        self.port = port
        self.socketDirectory = directory.path
        self.user = "postgres"
        self.binaries = binaries
        self.launcher = launcher
    }

    deinit { stop() }

    // MARK: Starting

    /// Starts a fresh cluster in a new folder under `/tmp`: `initdb` (UTF8, C locale, trust
    /// authentication for local and loopback connections), then `pg_ctl start`, which waits until
    /// the server accepts connections.
    ///
    /// Throws a ``PostgresClusterError`` that names the step that failed, with the command's
    /// output and the end of the server log.
    public static func start() throws -> PostgresCluster {
        let binaries = try PostgresCluster.binaries()
        let launcher = try ClusterLauncher.current()
        removeAbandonedClusters(binaries: binaries, launcher: launcher)
        let directory = try makeClusterDirectory(launcher: launcher)
        do {
            return try start(in: directory, binaries: binaries, launcher: launcher)
        } catch {
            // Leaves nothing behind: a half-started server is stopped and the folder removed.
            let data = directory.appendingPathComponent("data")
            if FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) {
                _ = try? launcher.run(
                    binaries.appendingPathComponent("pg_ctl"), ["stop", "-D", data.path, "-m", "immediate", "-w"])
            }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private static func start(in directory: URL, binaries: URL, launcher: ClusterLauncher) throws -> PostgresCluster {
        let data = directory.appendingPathComponent("data")
        let log = directory.appendingPathComponent("server.log")
        let initdb = try launcher.run(
            binaries.appendingPathComponent("initdb"),
            [
                "-D", data.path, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                // Skips initdb's own flush of the new files (as PostgreSQL's regression tests do);
                // the server itself runs with fsync on.
                "--no-sync",
            ])
        guard initdb.succeeded else {
            throw PostgresClusterError(step: "initdb (creating the cluster in \(data.path))", output: initdb)
        }

        // A self-signed certificate for localhost and 127.0.0.1, so that clients can be tested
        // with TLS (the server offers it; clients that do not ask connect in the clear).
        let openssl = ["/usr/bin/openssl", "/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let openssl else {
            throw PostgresClusterError("PostgresCluster: openssl is not installed (Debian's openssl package; postgresql-15 depends on it)")
        }
        let certificate = try launcher.run(
            URL(fileURLWithPath: openssl),
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", data.appendingPathComponent("server.key").path,
                "-out", data.appendingPathComponent("server.crt").path,
            ])
        guard certificate.succeeded else {
            throw PostgresClusterError(step: "openssl req (the server's test certificate)", output: certificate)
        }
        // PostgreSQL refuses a key file others can read.
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: data.appendingPathComponent("server.key").path)

        // The settings that do not change between attempts; the port goes on pg_ctl's command line.
        let settings = """

            # Added by AirlockTestSupport.PostgresCluster
            listen_addresses = '127.0.0.1'
            ssl = on
            ssl_cert_file = 'server.crt'
            ssl_key_file = 'server.key'
            unix_socket_directories = '\(directory.path)'
            max_connections = 200
            shared_buffers = 32MB
            fsync = on

            """
        do {
            let configuration = try FileHandle(forWritingTo: data.appendingPathComponent("postgresql.conf"))
            defer { try? configuration.close() }
            try configuration.seekToEnd()
            try configuration.write(contentsOf: Data(settings.utf8))
        } catch {
            throw PostgresClusterError(
                "PostgresCluster: could not add the test settings to \(data.path)/postgresql.conf: \(error)")
        }

        // Another process may take the free port between the probe and the server's bind: then
        // the start fails with "could not bind" and another port is tried.
        let attempts = 3
        for attempt in 1...attempts {
            let port = try freeLoopbackPort()
            let started = try launcher.run(
                binaries.appendingPathComponent("pg_ctl"),
                ["start", "-D", data.path, "-l", log.path, "-w", "-t", "60", "-o", "-p \(port)"],
                closingInheritedFiles: true)
            if started.succeeded {
                return PostgresCluster(directory: directory, port: port, binaries: binaries, launcher: launcher)
            }
            let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if attempt < attempts, logText.contains("could not bind") || logText.contains("already in use") {
                try? FileManager.default.removeItem(at: log)
                continue
            }
            throw PostgresClusterError(
                step: "pg_ctl start (the server on port \(port), socket in \(directory.path))", output: started,
                log: log)
        }
        preconditionFailure("unreachable: the last attempt returns or throws")
    }

    // MARK: The shared cluster

    private static let sharedCluster = ClusterLocked<Result<PostgresCluster, PostgresClusterError>?>(nil)

    /// The process's shared cluster, started on first use (callers on other threads wait for it)
    /// and stopped when the process exits. If it could not start, every call throws that error
    /// again rather than trying once per test.
    public static func shared() throws -> PostgresCluster {
        try sharedCluster.withLock { shared in
            if let shared { return try shared.get() }
            do {
                let cluster = try start()
                shared = .success(cluster)
                atexit { PostgresCluster.stopShared() }
                return cluster
            } catch {
                let failure = error as? PostgresClusterError ?? PostgresClusterError("\(error)")
                shared = .failure(failure)
                throw failure
            }
        }
    }

    /// ``shared()`` for async callers: the start (`initdb`, `pg_ctl start`: seconds) blocks a
    /// thread of its own, not one of the few that run every test's tasks. (Blocked there, it
    /// held up unrelated tests' timers by seconds.)
    public static func shared() async throws -> PostgresCluster {
        try await onOwnThread { try shared() }
    }

    /// Stops the shared cluster at exit. Does nothing if a start is still under way on another
    /// thread (exit never waits on the lock).
    private static func stopShared() {
        guard let cluster = sharedCluster.tryWithLock({ try? $0?.get() }) ?? nil else { return }
        cluster.stop()
    }

    /// Runs blocking `work` on a new thread and awaits its result, leaving Swift's cooperative
    /// threads (as many as there are cores) free for other tasks meanwhile.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "PostgresCluster"
            thread.start()
        }
    }

    // MARK: Databases

    /// Creates a new, empty database with a unique name (`airlock_test_<16 hex digits>`), owned
    /// by ``user``, and returns its name.
    public func createDatabase() throws -> String {
        let digits = String(UInt64.random(in: .min ... .max), radix: 16)
        let name = "airlock_test_" + String(repeating: "0", count: 16 - digits.count) + digits
        try psql("CREATE DATABASE \(quoted(name))", database: "postgres", step: "creating database \(name)")
        return name
    }

    /// ``createDatabase()`` for async callers, on a thread of its own (see ``shared()``).
    public func createDatabase() async throws -> String {
        try await Self.onOwnThread { try self.createDatabase() }
    }

    /// Drops a database, closing any connections still open to it (`WITH (FORCE)`), on a thread
    /// of its own, and returns at once: for a test's clean-up (`defer`), which must neither wait
    /// nor fail. Dropping a database that does not exist is not an error; a drop that fails leaves
    /// the database to go with the cluster.
    ///
    /// A drop takes a checkpoint and a `psql` process (hundreds of milliseconds, seconds when
    /// many tests end at once); done in place it held one of the few cooperative threads that run
    /// every test's tasks, and a server test in the same process once waited 10 s for an answer.
    public func discardDatabase(_ name: String) {
        let thread = Thread { [self] in
            _ = try? psql(
                "DROP DATABASE IF EXISTS \(quoted(name)) WITH (FORCE)", database: "postgres",
                step: "dropping database \(name)")
        }
        thread.name = "PostgresCluster drop"
        thread.start()
    }

    /// Runs SQL with `psql` over the Unix socket as ``user`` and returns what it printed, one row a
    /// line, columns separated by `|` (`psql -A -t`), without the trailing newline. Stops at the
    /// first error and throws it.
    @discardableResult
    public func query(_ sql: String, database: String) throws -> String {
        try psql(sql, database: database, step: "running SQL in database \(database)")
    }

    /// ``query(_:database:)`` for async callers, on a thread of its own (see ``shared()``).
    @discardableResult
    public func query(_ sql: String, database: String) async throws -> String {
        try await Self.onOwnThread { try self.query(sql, database: database) }
    }

    /// The server's self-signed certificate (for `localhost` and `127.0.0.1`), PEM: what a client
    /// that verifies the server trusts (`sslrootcert`).
    public var certificatePath: String { directory.appendingPathComponent("data/server.crt").path }

    /// A connection URL for libpq-style clients over loopback TCP:
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    public func url(database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    @discardableResult
    private func psql(_ sql: String, database: String, step: String) throws -> String {
        let output = try launcher.run(
            binaries.appendingPathComponent("psql"),
            [
                "-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", String(port),
                "-U", user, "-d", database, "-c", sql,
            ])
        guard output.succeeded else {
            // psql exits with 2 when it cannot reach the server: then the log says why.
            throw PostgresClusterError(step: "psql (\(step))", output: output, log: output.status == 2 ? logFile : nil)
        }
        return output.standardOutput.hasSuffix("\n")
            ? String(output.standardOutput.dropLast()) : output.standardOutput
    }

    private func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Stopping

    /// Stops the server (`pg_ctl stop -m fast`, then `-m immediate` if that fails) and removes the
    /// cluster's folder. Calling it again does nothing.
    ///
    /// If the server cannot be stopped, the folder stays, so that a later run can stop the
    /// server and remove it (see `removeAbandonedClusters`).
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        if PostgresCluster.stopServer(data: dataDirectory, binaries: binaries, launcher: launcher) {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Stops the server of the data directory `data` if one runs; true when none runs any more.
    @discardableResult
    private static func stopServer(data: URL, binaries: URL, launcher: ClusterLauncher) -> Bool {
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) else {
            return true
        }
        let pgCtl = binaries.appendingPathComponent("pg_ctl")
        let fast = try? launcher.run(pgCtl, ["stop", "-D", data.path, "-m", "fast", "-w", "-t", "30"])
        if fast?.succeeded == true { return true }
        _ = try? launcher.run(pgCtl, ["stop", "-D", data.path, "-m", "immediate", "-w", "-t", "30"])
        // pg_ctl status: 0 running, 3 not running, 4 data directory not accessible (unknown).
        let status = try? launcher.run(pgCtl, ["status", "-D", data.path])
        return status?.status == 3
    }

    // MARK: Set-up helpers

    /// Where the folders go: `/tmp` itself (not `$TMPDIR`), which every user can reach, and short
    /// enough for a Unix socket path (at most 107 bytes).
    private static let parent = "/tmp"
    private static let folderPrefix = "airlock-postgres-"
    /// A file in each cluster's folder naming the process that started it.
    private static let ownerFile = "owner.pid"

    /// The PostgreSQL 15 programs, from `/usr/lib/postgresql/15/bin` or the folder in
    /// `AIRLOCK_POSTGRES_BIN`.
    private static func binaries() throws -> URL {
        let path = ProcessInfo.processInfo.environment["AIRLOCK_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        let missing = ["initdb", "pg_ctl", "postgres", "psql"].filter {
            !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
        }
        guard missing.isEmpty else {
            throw PostgresClusterError(
                "PostgresCluster: PostgreSQL 15 is required, but \(missing.joined(separator: ", ")) "
                    + "\(missing.count == 1 ? "is" : "are") not in \(path). "
                    + "Install it with `apt-get install -y postgresql-15` "
                    + "(or set AIRLOCK_POSTGRES_BIN to the folder holding initdb, pg_ctl, postgres and psql).")
        }
        return folder
    }

    /// Makes `/tmp/airlock-postgres-XXXXXX` (mode 0700), owned by the user the server runs as, and
    /// writes this process's id into it.
    private static func makeClusterDirectory(launcher: ClusterLauncher) throws -> URL {
        var template = Array("\(parent)/\(folderPrefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw PostgresClusterError(
                "PostgresCluster: could not create a folder in \(parent) for the cluster: "
                    + "\(String(cString: strerror(errno))). Check that \(parent) exists and is writable.")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try Data("\(getpid())\n".utf8).write(to: directory.appendingPathComponent(ownerFile))
            if case .user(let name, let uid, let gid, _) = launcher {
                for item in [directory.path, directory.appendingPathComponent(ownerFile).path]
                where chown(item, uid, gid) != 0 {
                    throw PostgresClusterError(
                        "PostgresCluster: could not give \(item) to the \(name) OS user (chown): "
                            + String(cString: strerror(errno)))
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error as? PostgresClusterError
                ?? PostgresClusterError("PostgresCluster: could not prepare \(path): \(error)")
        }
        return directory
    }

    /// A loopback TCP port that is free now: the one the system gives a socket bound to
    /// 127.0.0.1:0, which is then closed.
    private static func freeLoopbackPort() throws -> Int {
        #if canImport(Glibc) || canImport(Musl)
            let stream = Int32(SOCK_STREAM.rawValue)
        #else
            let stream = SOCK_STREAM
        #endif
        let socketDescriptor = socket(AF_INET, stream, 0)
        guard socketDescriptor >= 0 else {
            throw PostgresClusterError(
                "PostgresCluster: could not open a socket to find a free port: \(String(cString: strerror(errno)))")
        }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        #if !(canImport(Glibc) || canImport(Musl))
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketDescriptor, $0, length) == 0 && getsockname(socketDescriptor, $0, &length) == 0
            }
        }
        guard bound else {
            throw PostgresClusterError(
                "PostgresCluster: could not bind a socket to 127.0.0.1:0 to find a free port: "
                    + String(cString: strerror(errno)))
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static let cleanedUp = ClusterLocked(false)

    /// Once a process: stops the servers and removes the folders of clusters whose process is gone
    /// (a test run that crashed or was killed before it could stop them).
    private static func removeAbandonedClusters(binaries: URL, launcher: ClusterLauncher) {
        let first = cleanedUp.withLock { done in
            defer { done = true }
            return !done
        }
        guard first, let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(folderPrefix) {
            let directory = URL(fileURLWithPath: parent, isDirectory: true).appendingPathComponent(name)
            guard
                let text = try? String(contentsOf: directory.appendingPathComponent(ownerFile), encoding: .utf8),
                let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), owner > 0
            else { continue }
            // Alive, or someone else's (EPERM): left alone.
            guard kill(owner, 0) != 0, errno == ESRCH else { continue }
            if stopServer(data: directory.appendingPathComponent("data"), binaries: binaries, launcher: launcher) {
                try? FileManager.default.removeItem(at: directory)
            }
        }
    }
}

/// Why a ``PostgresCluster`` could not start, stop, or run a command: what failed, the command
/// and its output, the end of the server log, and what to do about it where that is known.
public struct PostgresClusterError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// An error for a command that failed: the step, the command line, its exit status and output,
    /// and the last lines of the server log if there is one.
    fileprivate init(step: String, output: ClusterCommandOutput, log: URL? = nil) {
        var lines = [
            "PostgresCluster: \(step) failed (exit status \(output.status)).", "Command: \(output.commandLine)",
        ]
        let errors = output.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        let printed = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        if !errors.isEmpty { lines.append("stderr:\n\(errors)") }
        if !printed.isEmpty { lines.append("stdout:\n\(printed)") }
        if let log, let text = try? String(contentsOf: log, encoding: .utf8), !text.isEmpty {
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30)
            lines.append("Server log (last lines of \(log.path)):\n\(tail.joined(separator: "\n"))")
        }
        message = lines.joined(separator: "\n")
    }
}

// MARK: - Running the PostgreSQL programs

/// What a finished command printed.
private struct ClusterCommandOutput: Sendable {
    var commandLine: String
    var status: Int32
    var standardOutput: String
    var standardError: String

    var succeeded: Bool { status == 0 }
}

/// How the PostgreSQL programs are run: directly, or as another OS user when this process is root.
private enum ClusterLauncher: Sendable {
    /// As the current user.
    case direct
    /// As the OS user `name` (uid, gid), through `runuser` or `su` at `tool`.
    case user(name: String, uid: uid_t, gid: gid_t, tool: String)

    /// `direct`, or `postgres` through `runuser` (or `su`) when this process is root.
    static func current() throws -> ClusterLauncher {
        guard getuid() == 0 else { return .direct }
        guard let entry = getpwnam("postgres") else {
            throw PostgresClusterError(
                "PostgresCluster: the tests run as root, which PostgreSQL refuses, and there is no `postgres` OS "
                    + "user to run the server as. Install PostgreSQL 15 with `apt-get install -y postgresql-15` "
                    + "(it creates that user), or run the tests as an ordinary user.")
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        let candidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/su", "/usr/bin/su"]
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw PostgresClusterError(
                "PostgresCluster: the tests run as root, so the server must run as the `postgres` OS user, "
                    + "but neither runuser nor su was found (looked for \(candidates.joined(separator: ", "))). "
                    + "Install util-linux (`apt-get install -y util-linux`), or run the tests as an ordinary user.")
        }
        return .user(name: "postgres", uid: uid, gid: gid, tool: tool)
    }

    /// Runs `program ARGUMENTS` to completion (as the right user) and collects its output.
    ///
    /// With `closingInheritedFiles`, the program runs through `bash`, which first closes every
    /// file descriptor but standard input, output and error: for `pg_ctl start`, whose server
    /// outlives it. On Linux, Foundation's `Process` learns that a child exited when the last
    /// copy of a socket it gives the child closes; a server that inherited that socket (`pg_ctl`
    /// passes its descriptors on) keeps `waitUntilExit()` waiting for as long as the server runs.
    ///
    /// The child gets this process's environment without `PG*` variables (so a developer's
    /// `PGHOST` or `PGDATABASE` cannot redirect it), with `LC_ALL=C` (no locale warnings), and
    /// starts in `/` (which every user can enter), with standard input from `/dev/null`. Its
    /// output goes to unnamed temporary files, read once it exits: no pipe to fill up, no reader
    /// threads, and nothing for a server that outlives the command to hold open.
    func run(_ program: URL, _ arguments: [String], closingInheritedFiles: Bool = false) throws
        -> ClusterCommandOutput
    {
        let command =
            closingInheritedFiles
            ? ["/bin/bash", "-c", ClusterLauncher.closeInheritedFiles, program.path] + arguments
            : [program.path] + arguments
        let process = Process()
        switch self {
        case .direct:
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
        case .user(let name, _, _, let tool) where tool.hasSuffix("runuser"):
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["-u", name, "--"] + command
        case .user(let name, _, _, let tool):
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = [name, "-s", "/bin/sh", "-c", "exec " + command.map(shellQuoted).joined(separator: " ")]
        }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        environment["LANG"] = "C"
        environment["PGCONNECT_TIMEOUT"] = "10"
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: "/", isDirectory: true)
        process.standardInput = FileHandle.nullDevice
        let commandLine = ([process.executableURL?.path ?? program.path] + (process.arguments ?? []))
            .map(shellQuoted).joined(separator: " ")
        let output = try ClusterLauncher.temporaryFile(for: commandLine)
        let errors = try ClusterLauncher.temporaryFile(for: commandLine)
        defer {
            try? output.close()
            try? errors.close()
        }
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw PostgresClusterError("PostgresCluster: could not run `\(commandLine)`: \(error)")
        }
        process.waitUntilExit()
        return ClusterCommandOutput(
            commandLine: commandLine, status: process.terminationStatus,
            standardOutput: ClusterLauncher.contents(of: output), standardError: ClusterLauncher.contents(of: errors))
    }

    /// An open, already deleted file in `/tmp` for a command's output.
    /// A `bash` script that closes the shell's descriptors above 2 (as `/dev/fd` lists them, on
    /// Linux and macOS; `bash`, unlike `dash`, closes those above 9), then runs `$0 $@`.
    private static let closeInheritedFiles = #"""
        for fd in /dev/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$0" "$@"
        """#

    private static func temporaryFile(for commandLine: String) throws -> FileHandle {
        var template = Array("/tmp/airlock-postgres-output-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw PostgresClusterError(
                "PostgresCluster: could not create a file in /tmp for the output of `\(commandLine)`: "
                    + String(cString: strerror(errno)))
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        // Other children of this process do not inherit it (Foundation gives it to this one as
        // its standard output or error).
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func contents(of file: FileHandle) -> String {
        guard (try? file.seek(toOffset: 0)) != nil, let data = try? file.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `text` as one word for `/bin/sh`: in single quotes unless it needs none.
private func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@,+".contains($0) }
    return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A value behind a lock, for the little mutable state the cluster keeps.
private final class ClusterLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Runs `body` if the lock is free now; nil if another thread holds it.
    func tryWithLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result? {
        guard lock.try() else { return nil }
        defer { lock.unlock() }
        return try body(&value)
    }
}
