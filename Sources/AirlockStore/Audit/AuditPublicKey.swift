import AirlockCore
import Crypto
import Foundation

/// The public half of the audit signing key: what verifiers hold, apart from the database.
///
/// `airlock audit key` prints it as 64 hexadecimal digits (the 32 raw Ed25519 bytes); base64 of
/// the same bytes is accepted too.
public struct AuditPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw bytes of the Ed25519 public key.
    public let rawRepresentation: [UInt8]

    /// A key from its 32 raw bytes; `nil` for anything else.
    public init?(rawRepresentation bytes: some Sequence<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else {
            return nil
        }
        rawRepresentation = bytes
    }

    /// The same key as swift-crypto's type.
    public init(_ key: Curve25519.Signing.PublicKey) {
        rawRepresentation = Array(key.rawRepresentation)
    }

    /// A key from 64 hexadecimal digits or the base64 of its 32 bytes (surrounding whitespace
    /// ignored); `nil` otherwise.
    public init?(text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes: [UInt8]? =
            if trimmed.utf8.count == 64, let hex = Hex.decode(trimmed) { hex } else {
                Data(base64Encoded: trimmed).map(Array.init)
            }
        guard let bytes else { return nil }
        self.init(rawRepresentation: bytes)
    }

    /// 64 lowercase hexadecimal digits.
    public var hex: String { Hex.encode(rawRepresentation) }

    /// Base64 of the 32 bytes.
    public var base64: String { Data(rawRepresentation).base64EncodedString() }

    /// A short id: the first 8 bytes of SHA-256 over the 32 raw bytes, in hex. Checkpoints name the
    /// key that signed them by this id.
    public var keyID: String {
        Hex.encode(SHA256.hash(data: rawRepresentation).prefix(8))
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public var description: String { hex }
}
