/// Consistency proofs (RFC 6962 §2.1.2): that the tree of the first `oldSize` leaves is a prefix
/// of the tree of `newSize` leaves, shown with O(log n) node hashes.
extension MerkleTree {
    /// RFC 6962's `PROOF(m, D[n])` for `m = oldSize` over `leafHashes` (the `n` leaves of the new
    /// tree): the `SUBPROOF` algorithm, nodes ordered as it appends them. Empty when `oldSize` is
    /// 0 or `n` (nothing to prove).
    public static func consistencyProof(oldSize: Int, leafHashes: ArraySlice<AuditHash>) -> [AuditHash] {
        precondition(oldSize >= 0 && oldSize <= leafHashes.count)
        guard oldSize > 0, oldSize < leafHashes.count else { return [] }
        var proof: [AuditHash] = []
        appendSubproof(m: oldSize, leafHashes: leafHashes, complete: true, to: &proof)
        return proof
    }

    /// `SUBPROOF(m, D[n], b)`.
    private static func appendSubproof(
        m: Int, leafHashes: ArraySlice<AuditHash>, complete: Bool, to proof: inout [AuditHash]
    ) {
        let n = leafHashes.count
        if m == n {
            if !complete { proof.append(root(leafHashes: leafHashes)) }
            return
        }
        let k = splitPoint(n)
        let start = leafHashes.startIndex
        let left = leafHashes[start..<start + k]
        let right = leafHashes[(start + k)...]
        if m <= k {
            appendSubproof(m: m, leafHashes: left, complete: complete, to: &proof)
            proof.append(root(leafHashes: right))
        } else {
            appendSubproof(m: m - k, leafHashes: right, complete: false, to: &proof)
            proof.append(root(leafHashes: left))
        }
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of
    /// the tree of `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2).
    public static func isConsistent(
        oldSize: Int64, oldRoot: AuditHash, newSize: Int64, newRoot: AuditHash, proof: [AuditHash]
    ) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        var path = proof[...]
        // An old tree that is a complete subtree is itself the first node of the path.
        if oldSize & (oldSize - 1) == 0 { path = ([oldRoot] + proof)[...] }
        guard let first = path.first else { return false }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = first
        var sr = first
        for node in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(node, fr)
                sr = nodeHash(node, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = nodeHash(sr, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }
}
