import Foundation

/// A real small disk for the disk-full tests: a tmpfs of `megabytes` mounted at a new folder,
/// unmounted and removed by ``unmount()``. Mounting needs root with CAP_SYS_ADMIN (the tests run
/// as root, as CI does); a test that cannot mount one fails saying so.
public struct SmallDisk: Sendable {
    public let path: String

    public init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-small-disk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        guard mount.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw DiskError(
                "cannot mount a \(megabytes) MiB tmpfs at \(path) (`mount` exited \(mount.status): \(mount.output)); "
                    + "the disk-full test needs root with CAP_SYS_ADMIN, as CI runs it")
        }
    }

    /// Hands the folder `relative` of the disk (its root by default) to `user`: for a database
    /// server that runs as its own user.
    public func give(_ relative: String = "", to user: String) throws {
        let folder = relative.isEmpty ? path : path + "/" + relative
        let chown = try Self.run("/bin/chown", ["\(user):\(user)", folder])
        guard chown.status == 0 else { throw DiskError("cannot give \(folder) to \(user): \(chown.output)") }
    }

    /// Fills the disk to the last byte with a file of its own.
    public func fill() {
        let filler = path + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: filler) else { return }
        defer { try? handle.close() }
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        let byte = Data(count: 1)
        while (try? handle.write(contentsOf: byte)) != nil {}
    }

    /// Removes the filler: the space is back.
    public func free() throws {
        try FileManager.default.removeItem(atPath: path + "/filler")
    }

    /// Mounts the disk again read-only, or writable again: it must not be in use (the kernel
    /// refuses to make a busy mount read-only).
    public func remount(readOnly: Bool) throws {
        let result = try Self.run("/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", path])
        guard result.status == 0 else {
            throw DiskError("cannot remount \(path) \(readOnly ? "read-only" : "writable"): \(result.output)")
        }
    }

    public func unmount() {
        _ = try? Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    public struct DiskError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
