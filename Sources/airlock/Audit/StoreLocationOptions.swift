import AirlockEngine
import AirlockStore
import ArgumentParser
import Foundation

/// Where the commands find the store, as the server does: `--state-dir DIR` (default
/// `./.airlock`, holding `airlock.sqlite` and `audit-signing.key`), or the server's
/// `--config FILE`, whose `state_dir` is used.
struct StoreLocationOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("The state directory: the database and the audit signing key.", valueName: "dir"))
    var stateDirectory = "./.airlock"

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("The server's configuration file; its state_dir is used instead of --state-dir.", valueName: "file"))
    var configFile: String?

    /// The state directory.
    var location: StateDirectory {
        // validate() has checked the configuration already.
        if let configFile, let configuration = try? GatewayConfiguration.load(file: configFile) {
            return StateDirectory(path: configuration.stateDirectory)
        }
        return StateDirectory(path: stateDirectory)
    }

    func validate() throws {
        guard let configFile else { return }
        do {
            _ = try GatewayConfiguration.load(file: configFile)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The configuration file's settings, or the defaults without one.
    var configuration: GatewayConfiguration {
        configFile.flatMap { try? GatewayConfiguration.load(file: $0) } ?? GatewayConfiguration()
    }

    /// Opens an existing store to read it (never creates a database or a key), with the
    /// configuration's checkpoint cadence and witness.
    func openExisting() throws -> SQLiteStore {
        let gateway = self.configuration
        do {
            return try SQLiteStore.open(location, createIfMissing: false) { settings in
                settings.checkpointEvery = gateway.checkpointEvery
                settings.checkpointInterval = gateway.checkpointSeconds
                settings.witness = gateway.witness
            }
        } catch let error as StoreError where error.code == .databaseMissing {
            throw ValidationError(
                "there is no Airlock database in \(location.url.path) (pass --state-dir, or start the server once)")
        }
    }

    /// The PostgreSQL database the server would use, if any: `--config`'s `store.postgres`, or
    /// `AIRLOCK_DATABASE_URL` (which wins over the file, as for the server).
    var postgresURL: String? {
        if let configFile, let configuration = try? GatewayConfiguration.load(file: configFile) {
            return configuration.postgres?.url
        }
        return ProcessInfo.processInfo.environment["AIRLOCK_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where the store is, for messages: the PostgreSQL database (without its password) or the
    /// state directory.
    var describeStore: String {
        if let postgresURL { return "PostgreSQL " + (PostgresStore.describe(url: postgresURL) ?? "database") }
        return location.url.path
    }

    /// Opens the store to read it: the PostgreSQL database of ``postgresURL`` when there is one,
    /// with the state directory's signing key if there is one; otherwise the state directory's
    /// SQLite database, as ``openExisting()``.
    func openForReading() async throws -> any Store {
        if let url = postgresURL {
            let configuration = configFile.flatMap { try? GatewayConfiguration.load(file: $0) } ?? GatewayConfiguration()
            let directory = location
            let key =
                FileManager.default.fileExists(atPath: directory.signingKeyURL.path)
                ? try AuditSigningKey.load(from: directory.signingKeyURL) : nil
            return try await PostgresStore(
                url: url,
                configuration: PostgresStore.Configuration(
                    signingKey: key, checkpointEvery: configuration.checkpointEvery,
                    checkpointInterval: configuration.checkpointSeconds, maximumConnections: 2,
                    witness: configuration.witness))
        }
        return try openExisting()
    }

    /// Opens the store to write to it, creating the directory, database and key if needed.
    func openForWriting(configure: (inout SQLiteStore.Configuration) -> Void = { _ in }) throws -> SQLiteStore {
        try SQLiteStore.open(location, configure: configure)
    }

    /// The public key to verify against: the one given, or the state directory's key. A given
    /// key that cannot be used ends the command with exit status 2 (``usablePublicKey(_:)``).
    func publicKey(_ given: String?) throws -> (key: AuditPublicKey, fromStateDirectory: Bool) {
        if let given {
            return (try Self.usablePublicKey(given), false)
        }
        guard FileManager.default.fileExists(atPath: location.signingKeyURL.path) else {
            throw ValidationError(
                "no signing key in \(location.url.path): pass --public-key (printed by `airlock audit key`)")
        }
        return (AuditPublicKey(try AuditSigningKey.load(from: location.signingKeyURL).publicKey), true)
    }

    /// A --public-key that cannot be read or is not a key.
    struct UnusableKey: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads a public key given as hex or base64 text, or as `@FILE` holding either.
    static func parsePublicKey(_ text: String) throws(UnusableKey) -> AuditPublicKey {
        var value = text
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            do {
                value = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "does not exist"
                throw UnusableKey(description: "--public-key: \(path) \(reason)")
            }
        }
        guard let key = AuditPublicKey(text: value) else {
            throw UnusableKey(description: "--public-key must be 64 hex digits or base64 of 32 bytes (or @FILE holding one)")
        }
        return key
    }

    /// ``parsePublicKey(_:)``, or the command ends with exit status 2 and says why: 1 means the
    /// audit log failed its checks, and a key that cannot be used says nothing about the log (a
    /// monitor must not read a missing key file as tampering). `scripts/verify_audit.py` answers
    /// the same.
    static func usablePublicKey(_ text: String) throws -> AuditPublicKey {
        do {
            return try parsePublicKey(text)
        } catch {
            Output.error("airlock: \(error.description)")
            throw ExitCode(2)
        }
    }
}
