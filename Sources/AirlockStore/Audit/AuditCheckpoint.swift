import AirlockCore
import Foundation

/// A signed statement of the audit log's size and Merkle root at one moment.
///
/// The signature is Ed25519 over ``signedMessage``, a short UTF-8 text (docs/audit.md,
/// "Checkpoints"). Whoever edits the database and recomputes the chain cannot produce a valid
/// signature for the new root without the signing key, which lives outside the database.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    /// How many records the tree covers (records `1…treeSize`).
    public var treeSize: Int64
    /// The Merkle root over those records.
    public var root: AuditHash
    /// When it was signed, in microseconds since 1970-01-01T00:00:00Z.
    public var timeMicros: Int64
    /// The signing key's id (``AuditPublicKey/keyID``).
    public var keyID: String
    /// The Ed25519 signature over ``signedMessage``.
    public var signature: Data

    /// A checkpoint as read from a store, an export or a proof.
    public init(treeSize: Int64, root: AuditHash, timeMicros: Int64, keyID: String, signature: Data) {
        self.treeSize = treeSize
        self.root = root
        self.timeMicros = timeMicros
        self.keyID = keyID
        self.signature = signature
    }

    /// Signs the tree's size and root.
    public init(treeSize: Int64, root: AuditHash, timeMicros: Int64, signingKey: AuditSigningKey) throws {
        let message = Self.signedMessage(treeSize: treeSize, root: root, timeMicros: timeMicros)
        self.init(
            treeSize: treeSize, root: root, timeMicros: timeMicros, keyID: signingKey.keyID,
            signature: try signingKey.signature(for: message))
    }

    /// The bytes the signature covers:
    ///
    /// ```
    /// airlock-audit-checkpoint/v1\n
    /// tree_size <decimal>\n
    /// root <64 lowercase hex digits>\n
    /// time_us <decimal>\n
    /// ```
    public static func signedMessage(treeSize: Int64, root: AuditHash, timeMicros: Int64) -> Data {
        Data("airlock-audit-checkpoint/v1\ntree_size \(treeSize)\nroot \(root.hex)\ntime_us \(timeMicros)\n".utf8)
    }

    /// The bytes this checkpoint's signature covers.
    public var signedMessage: Data {
        Self.signedMessage(treeSize: treeSize, root: root, timeMicros: timeMicros)
    }

    /// Whether the signature is valid for `publicKey`.
    public func hasValidSignature(for publicKey: AuditPublicKey) -> Bool {
        publicKey.keyID == keyID && publicKey.isValidSignature(signature, for: signedMessage)
    }

    /// When it was signed.
    public var time: Date {
        Date(microsecondsSince1970: timeMicros)
    }

    private enum CodingKeys: String, CodingKey {
        case treeSize = "tree_size"
        case root
        case timeMicros = "time_us"
        case keyID = "key_id"
        case signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        treeSize = try container.decode(Int64.self, forKey: .treeSize)
        root = try container.decode(AuditHash.self, forKey: .root)
        timeMicros = try container.decode(Int64.self, forKey: .timeMicros)
        keyID = try container.decode(String.self, forKey: .keyID)
        let hex = try container.decode(String.self, forKey: .signature)
        guard let bytes = Hex.decode(hex) else {
            throw DecodingError.dataCorruptedError(
                forKey: .signature, in: container, debugDescription: "the signature is not hexadecimal")
        }
        signature = Data(bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(treeSize, forKey: .treeSize)
        try container.encode(root, forKey: .root)
        try container.encode(timeMicros, forKey: .timeMicros)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(Hex.encode(signature), forKey: .signature)
    }
}
