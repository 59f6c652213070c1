/// The Merkle tree over the audit log, as in RFC 6962 (Certificate Transparency) §2.1:
///
/// - leaf `i` is the record with `seq = i + 1`; its leaf input is the record's canonical encoding,
///   so its leaf hash, SHA-256(0x00 ‖ encoding), is the record's `hash` itself;
/// - node hash = SHA-256(0x01 ‖ left ‖ right);
/// - a tree of `n > 1` leaves splits at `k`, the largest power of two smaller than `n`;
/// - the root of the empty tree is SHA-256 of nothing.
public enum MerkleTree {
    /// The leaf hash of leaf input `data`: SHA-256(0x00 ‖ data). (A record's `hash` is this over
    /// its canonical encoding.)
    public static func leafHash(data: [UInt8]) -> AuditHash {
        ([0] + data).withUnsafeBytes { AuditHash.sha256($0) }
    }

    /// The hash of an interior node.
    public static func nodeHash(_ left: AuditHash, _ right: AuditHash) -> AuditHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 1
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33...]).copyMemory(from: $0) }
            return AuditHash.sha256(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The largest power of two smaller than `n` (`n > 1`).
    static func splitPoint(_ n: Int) -> Int {
        precondition(n > 1)
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// The root over leaf hashes (for the log: record hashes), by the recursive definition.
    public static func root(leafHashes: ArraySlice<AuditHash>) -> AuditHash {
        switch leafHashes.count {
        case 0: return .emptyTreeRoot
        case 1: return leafHashes.first!
        default:
            let k = splitPoint(leafHashes.count)
            let start = leafHashes.startIndex
            return nodeHash(
                root(leafHashes: leafHashes[start..<start + k]), root(leafHashes: leafHashes[(start + k)...]))
        }
    }

    /// The audit path of leaf `index` in the tree over `leafHashes` (RFC 6962 §2.1.1 `PATH`),
    /// nearest sibling first.
    public static func inclusionPath(index: Int, leafHashes: ArraySlice<AuditHash>) -> [AuditHash] {
        precondition(leafHashes.indices.contains(leafHashes.startIndex + index))
        var path: [AuditHash] = []
        appendPath(index: index, leafHashes: leafHashes, to: &path)
        return path
    }

    private static func appendPath(index: Int, leafHashes: ArraySlice<AuditHash>, to path: inout [AuditHash]) {
        let n = leafHashes.count
        guard n > 1 else { return }
        let k = splitPoint(n)
        let start = leafHashes.startIndex
        let left = leafHashes[start..<start + k]
        let right = leafHashes[(start + k)...]
        if index < k {
            appendPath(index: index, leafHashes: left, to: &path)
            path.append(root(leafHashes: right))
        } else {
            appendPath(index: index - k, leafHashes: right, to: &path)
            path.append(root(leafHashes: left))
        }
    }

    /// The root an audit path leads to from a leaf hash (RFC 9162 §2.1.3.2), or `nil` when the
    /// path has the wrong length for `index` in a tree of `treeSize` leaves.
    public static func root(
        fromLeafHash leafHash: AuditHash, index: Int64, treeSize: Int64, path: [AuditHash]
    ) -> AuditHash? {
        guard index >= 0, index < treeSize else { return nil }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }
}

/// The right edge of a Merkle tree that grows one leaf at a time: the roots of its perfect
/// subtrees, largest first (one per set bit of the size). Appending is amortised one node hash;
/// the root folds the edge from the right. This is how verification computes the root in one
/// streaming pass, and how the store signs checkpoints without reading the log.
public struct MerkleFrontier: Sendable, Hashable {
    /// The number of leaves.
    public private(set) var size: Int64 = 0
    private var edge: [AuditHash] = []

    /// An empty tree.
    public init() {
        edge.reserveCapacity(64)
    }

    /// Adds a record: its hash is its leaf hash.
    public mutating func append(recordHash: AuditHash) {
        append(leafHash: recordHash)
    }

    /// Adds a leaf given by its leaf hash.
    public mutating func append(leafHash: AuditHash) {
        var node = leafHash
        var bits = size
        while bits & 1 == 1 {
            node = MerkleTree.nodeHash(edge.removeLast(), node)
            bits >>= 1
        }
        edge.append(node)
        size += 1
    }

    /// The tree's root.
    public var root: AuditHash {
        guard var root = edge.last else { return .emptyTreeRoot }
        for node in edge.dropLast().reversed() {
            root = MerkleTree.nodeHash(node, root)
        }
        return root
    }

    /// The edge as bytes (32 per subtree root), for keeping it beside the log.
    public var serialized: [UInt8] {
        edge.flatMap(\.bytes)
    }

    /// Restores an edge kept with ``serialized``; `nil` when the bytes do not fit `size`.
    public init?(size: Int64, serialized bytes: [UInt8]) {
        guard size >= 0, bytes.count == 32 * size.nonzeroBitCount else { return nil }
        self.size = size
        edge = stride(from: 0, to: bytes.count, by: 32).map { AuditHash(bytes: bytes[$0..<$0 + 32])! }
    }
}
