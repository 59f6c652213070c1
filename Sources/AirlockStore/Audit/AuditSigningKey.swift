import AirlockCore
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Ed25519 key that signs audit checkpoints. It is kept in a file in the state directory,
/// never in the database, so that rewriting the database cannot forge a checkpoint.
///
/// The file holds the 32-byte private key as 64 hexadecimal digits and a newline, mode 0600.
public struct AuditSigningKey: Sendable {
    private let rawRepresentation: [UInt8]

    /// Wraps a key (tests inject one; production loads the file).
    public init(_ privateKey: Curve25519.Signing.PrivateKey) {
        self.rawRepresentation = Array(privateKey.rawRepresentation)
    }

    /// The private key.
    public var privateKey: Curve25519.Signing.PrivateKey {
        // The bytes came from a valid key.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)
    }

    /// A new random key.
    public static func generate() -> AuditSigningKey {
        AuditSigningKey(Curve25519.Signing.PrivateKey())
    }

    /// The public key, to hand to verifiers (``AuditPublicKey`` wraps it as a `Sendable` value).
    public var publicKey: Curve25519.Signing.PublicKey {
        privateKey.publicKey
    }

    /// This key's id (``AuditPublicKey/keyID``).
    public var keyID: String {
        AuditPublicKey(publicKey).keyID
    }

    /// Signs `message`.
    func signature(for message: Data) throws -> Data {
        try privateKey.signature(for: message)
    }

    /// Reads the key from `url`.
    public static func load(from url: URL) throws -> AuditSigningKey {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw StoreError(
                .signingKeyUnavailable,
                "cannot read the audit signing key at \(url.path): \(error.localizedDescription)")
        }
        guard let bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        else {
            throw StoreError(
                .signingKeyUnavailable, "the audit signing key at \(url.path) is not 64 hexadecimal digits")
        }
        return AuditSigningKey(key)
    }

    /// Reads the key from `url`, creating it first (mode 0600) if there is no file.
    ///
    /// Creation is atomic: the key is written and synced to a temporary file that is then linked
    /// into place, so a crash never leaves a half-written key, and of two processes creating it at
    /// once both end up with the same key.
    public static func loadOrCreate(at url: URL) throws -> AuditSigningKey {
        if FileManager.default.fileExists(atPath: url.path) {
            return try load(from: url)
        }
        let key = Curve25519.Signing.PrivateKey()
        let text = Hex.encode(key.rawRepresentation) + "\n"
        let temporary = url.path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw StoreError(.signingKeyUnavailable, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        let written = text.utf8.withContiguousStorageIfAvailable { write(fd, $0.baseAddress, $0.count) } ?? -1
        let synced = fsync(fd)
        close(fd)
        guard written == text.utf8.count, synced == 0 else {
            throw StoreError(.signingKeyUnavailable, "cannot write the audit signing key to \(temporary)")
        }
        if link(temporary, url.path) != 0 && errno != EEXIST {
            throw StoreError(.signingKeyUnavailable, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: url)
        return try load(from: url)
    }

    private static func syncDirectory(of url: URL) {
        let fd = open(url.deletingLastPathComponent().path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
