import AirlockCore
import Crypto
import Foundation

/// The principals a gateway knows, found by the SHA-256 of their bearer key.
///
/// Keys are never stored, only their hashes; the comparison of a presented key's hash with the
/// stored ones runs in constant time over every entry, so timing reveals nothing about which
/// prefix matched.
public struct PrincipalDirectory: Sendable {
    /// 32 bytes of key hash per principal, contiguous; zeros for a principal without a key.
    private var keyHashes: [UInt8] = []
    private var hasKey: [Bool] = []
    private var members: [Principal] = []

    public init() {}

    /// Registers a principal under the hex SHA-256 of its key.
    public mutating func add(_ principal: Principal, keySHA256 hex: String) throws(ConfigurationError) {
        guard let hash = Hex.decode(hex), hash.count == 32 else {
            throw ConfigurationError(
                message: "principal '\(principal.id)': key_sha256 must be 64 hex digits (the SHA-256 of the key)")
        }
        keyHashes += hash
        hasKey.append(true)
        members.append(principal)
    }

    /// Registers a principal without a key (it can be named in pools but cannot authenticate).
    public mutating func addWithoutKey(_ principal: Principal) {
        keyHashes += [UInt8](repeating: 0, count: 32)
        hasKey.append(false)
        members.append(principal)
    }

    /// Every principal, in declaration order.
    public var principals: [Principal] { members }

    /// The principal whose key this is, if any. Every entry is compared, in constant time each.
    public func authenticate(key: String) -> Principal? {
        let presented = SHA256.hash(data: Array(key.utf8))
        var match = -1
        presented.withUnsafeBytes { presented in
            keyHashes.withUnsafeBufferPointer { hashes in
                for index in 0..<hasKey.count {
                    var difference: UInt8 = hasKey[index] ? 0 : 1
                    let base = index * 32
                    for i in 0..<32 { difference |= presented[i] ^ hashes[base + i] }
                    if difference == 0 { match = index }
                }
            }
        }
        return match >= 0 ? members[match] : nil
    }

    /// A short fingerprint of the principal's key (of its stored hash): what a console session
    /// carries, so that a new key ends the sessions opened with the old one. `nil` without a key.
    public func keyFingerprint(id: String) -> String? {
        guard let index = members.firstIndex(where: { $0.id == id }), hasKey[index] else { return nil }
        let digest = SHA256.hash(data: Array("airlock-console|".utf8) + keyHashes[(index * 32)..<(index * 32 + 32)])
        return digest.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// The principal with this id.
    public func principal(id: String) -> Principal? {
        members.first { $0.id == id }
    }

    /// Who is accountable for `id`, nearest first: its owner, that owner's owner, and so on
    /// (an owner need not be a principal; the chain ends there). A chain that loops ends where
    /// it would repeat, with the repeated id last.
    public func ownerChain(of id: String) -> [String] {
        var chain: [String] = []
        var current = principal(id: id)?.owner
        while let owner = current {
            chain.append(owner)
            if owner == id || chain.dropLast().contains(owner) { break }
            current = principal(id: owner)?.owner
        }
        return chain
    }

    /// Hex SHA-256 of a key, as a config's `key_sha256` holds it.
    public static func hash(key: String) -> String {
        Gateway.sha256(key)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
