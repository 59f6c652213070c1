import AirlockCore
import Crypto

/// A SHA-256 value in the audit log: a record's hash, a Merkle node, a tree root.
///
/// Held as four words so that comparing and copying never touch the heap.
public struct AuditHash: Sendable, Hashable, CustomStringConvertible {
    private var w0: UInt64
    private var w1: UInt64
    private var w2: UInt64
    private var w3: UInt64

    /// The 32 zero bytes: the `prev_hash` of the first record.
    public static let zero = AuditHash(w0: 0, w1: 0, w2: 0, w3: 0)

    /// SHA-256 of nothing: the root of the empty Merkle tree (RFC 6962).
    public static let emptyTreeRoot = AuditHash(SHA256.hash(data: [UInt8]()))

    private init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Reads a hash from exactly 32 bytes; `nil` for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        w0 = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        w1 = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        w2 = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        w3 = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    /// Reads a hash from exactly 32 bytes; `nil` for any other length.
    public init?(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard let hash = array.withUnsafeBytes({ AuditHash(bytes: $0) }) else { return nil }
        self = hash
    }

    /// Reads a hash from 64 hexadecimal digits (either case); `nil` otherwise.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> AuditHash {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return AuditHash(hasher.finalize())
    }

    /// The value of a swift-crypto digest.
    public init(_ digest: SHA256Digest) {
        self = digest.withUnsafeBytes { AuditHash(bytes: $0)! }
    }

    /// Calls `body` with the 32 bytes of the hash.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try Swift.withUnsafeBytes(of: &copy) { try body($0) }
    }

    /// The 32 bytes of the hash.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// 64 lowercase hexadecimal digits.
    public var hex: String {
        withUnsafeBytes { Hex.encode($0) }
    }

    public var description: String { hex }
}

extension AuditHash: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let hash = AuditHash(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected 64 hexadecimal digits, got \(text.debugDescription)")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
