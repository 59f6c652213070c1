import Foundation

/// Where an Airlock instance keeps its state: the SQLite database and the audit signing key.
///
/// ```
/// DIR/airlock.sqlite        the database (with -wal and -shm beside it)
/// DIR/audit-signing.key     the Ed25519 key that signs checkpoints (0600)
/// ```
public struct StateDirectory: Sendable, Hashable {
    /// The directory.
    public var url: URL

    /// A state directory at `url`.
    public init(_ url: URL) {
        self.url = url
    }

    /// A state directory at a path (relative paths are from the current directory).
    public init(path: String) {
        self.url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The SQLite database.
    public var databaseURL: URL {
        url.appendingPathComponent("airlock.sqlite")
    }

    /// The audit signing key.
    public var signingKeyURL: URL {
        url.appendingPathComponent("audit-signing.key")
    }

    /// Whether the database exists.
    public var hasDatabase: Bool {
        FileManager.default.fileExists(atPath: databaseURL.path)
    }

    /// Creates the directory (mode 0700) if it does not exist.
    public func create() throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
