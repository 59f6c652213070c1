import AirlockStore
import Testing

/// RFC 6962 §2.1.2 consistency proofs: built by SUBPROOF, checked by RFC 9162 §2.1.4.2.
@Suite("Merkle consistency proofs (RFC 6962)")
struct ConsistencyProofTests {
    static let leafHashes = MerkleTreeTests.leaves.map { MerkleTree.leafHash(data: $0) }

    private static func root(_ n: Int) -> AuditHash { MerkleTree.root(leafHashes: leafHashes[..<n]) }

    @Test("proofs match Certificate Transparency's reference vectors and verify")
    func referenceVectors() {
        let vectors: [(Int, Int, [String])] = [
            (1, 1, []),
            (
                1, 8,
                [
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]
            ),
            (
                6, 8,
                [
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]
            ),
            (
                2, 5,
                [
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]
            ),
        ]
        for (old, new, expected) in vectors {
            let proof = MerkleTree.consistencyProof(oldSize: old, leafHashes: Self.leafHashes[..<new])
            #expect(proof.map(\.hex) == expected, "PROOF(\(old), D[\(new)])")
            #expect(
                MerkleTree.isConsistent(
                    oldSize: Int64(old), oldRoot: Self.root(old), newSize: Int64(new), newRoot: Self.root(new), proof: proof))
        }
    }

    @Test("RFC 6962's worked example of seven leaves, node by node")
    func workedExample() {
        // hash = node(k, l); k = node(g, h); l = node(i, j); g = node(a, b); h = node(c, d);
        // i = node(e, f); j = d6; a…f = d0…d5.
        let d = Self.leafHashes
        let (a, b, c, dd, e, f) = (d[0], d[1], d[2], d[3], d[4], d[5])
        let g = MerkleTree.nodeHash(a, b)
        let h = MerkleTree.nodeHash(c, dd)
        let i = MerkleTree.nodeHash(e, f)
        let j = d[6]
        let k = MerkleTree.nodeHash(g, h)
        let l = MerkleTree.nodeHash(i, j)
        let seven = d[..<7]
        #expect(MerkleTree.root(leafHashes: seven) == MerkleTree.nodeHash(k, l))
        #expect(MerkleTree.consistencyProof(oldSize: 3, leafHashes: seven) == [c, dd, g, l])
        #expect(MerkleTree.consistencyProof(oldSize: 4, leafHashes: seven) == [l])
        #expect(MerkleTree.consistencyProof(oldSize: 6, leafHashes: seven) == [i, j, k])
    }

    @Test("for every tree of 1…40 leaves and every older size the proof verifies, and any change to it fails")
    func exhaustive() {
        let leaves = (0..<40).map { MerkleTree.leafHash(data: [UInt8($0), 0xa5]) }
        let other = MerkleTree.leafHash(data: [0xff])
        for n in 1...leaves.count {
            let newRoot = MerkleTree.root(leafHashes: leaves[..<n])
            for m in 1...n {
                let oldRoot = MerkleTree.root(leafHashes: leaves[..<m])
                let proof = MerkleTree.consistencyProof(oldSize: m, leafHashes: leaves[..<n])
                func holds(_ oldSize: Int, _ oldRoot: AuditHash, _ newSize: Int, _ newRoot: AuditHash, _ proof: [AuditHash]) -> Bool {
                    MerkleTree.isConsistent(
                        oldSize: Int64(oldSize), oldRoot: oldRoot, newSize: Int64(newSize), newRoot: newRoot, proof: proof)
                }
                #expect(holds(m, oldRoot, n, newRoot, proof), "m \(m) n \(n)")
                #expect(!holds(m, other, n, newRoot, proof), "wrong old root, m \(m) n \(n)")
                #expect(!holds(m, oldRoot, n, other, proof), "wrong new root, m \(m) n \(n)")
                for index in proof.indices {
                    var altered = proof
                    altered[index] = other
                    #expect(!holds(m, oldRoot, n, newRoot, altered), "node \(index) altered, m \(m) n \(n)")
                }
                if !proof.isEmpty {
                    #expect(!holds(m, oldRoot, n, newRoot, Array(proof.dropLast())), "shortened, m \(m) n \(n)")
                }
                #expect(!holds(m, oldRoot, n, newRoot, proof + [other]), "lengthened, m \(m) n \(n)")
                if m < n {
                    // The tree of m leaves with one changed is not a prefix of the tree.
                    var changed = Array(leaves[..<n])
                    changed[m - 1] = other
                    let forged = MerkleTree.root(leafHashes: changed[..<m])
                    #expect(!holds(m, forged, n, newRoot, proof), "changed leaf, m \(m) n \(n)")
                }
            }
        }
    }
}
