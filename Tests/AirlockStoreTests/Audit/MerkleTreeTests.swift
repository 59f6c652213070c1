import AirlockStore
import Testing

@Suite("Merkle tree (RFC 6962)")
struct MerkleTreeTests {
    /// The leaves and roots of Certificate Transparency's reference test vectors.
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43], Array(0x50...0x57),
        Array(0x60...0x6f),
    ]
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("roots match the CT reference vectors, streaming and recursive")
    func referenceVectors() {
        #expect(MerkleFrontier().root.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var frontier = MerkleFrontier()
        for (index, leaf) in Self.leaves.enumerated() {
            frontier.append(leafHash: MerkleTree.leafHash(data: leaf))
            #expect(frontier.root.hex == Self.roots[index], "\(index + 1) leaves")
            let leafHashes = Self.leaves[...index].map { MerkleTree.leafHash(data: $0) }
            #expect(MerkleTree.root(leafHashes: leafHashes[...]).hex == Self.roots[index])
        }
    }

    @Test("the streaming frontier equals the recursive root for every size up to 130, and survives a round trip")
    func frontierMatchesRecursion() throws {
        let leafHashes = (0..<130).map { MerkleTree.leafHash(data: [UInt8(truncatingIfNeeded: $0), 7]) }
        var frontier = MerkleFrontier()
        for (index, leaf) in leafHashes.enumerated() {
            frontier.append(leafHash: leaf)
            #expect(frontier.root == MerkleTree.root(leafHashes: leafHashes[...index]))
            let restored = try #require(MerkleFrontier(size: frontier.size, serialized: frontier.serialized))
            #expect(restored == frontier)
        }
        #expect(MerkleFrontier(size: 4, serialized: frontier.serialized) == nil)
    }

    @Test("every inclusion path leads to the root, and only for its own index")
    func inclusionPaths() {
        let leafHashes = (0..<33).map { MerkleTree.leafHash(data: [UInt8($0)]) }
        for size in 1...33 {
            let tree = leafHashes[..<size]
            let root = MerkleTree.root(leafHashes: tree)
            for index in 0..<size {
                let path = MerkleTree.inclusionPath(index: index, leafHashes: tree)
                #expect(
                    MerkleTree.root(fromLeafHash: tree[index], index: Int64(index), treeSize: Int64(size), path: path)
                        == root)
                if size > 1 {
                    let other = (index + 1) % size
                    #expect(
                        MerkleTree.root(
                            fromLeafHash: tree[index], index: Int64(other), treeSize: Int64(size), path: path)
                            != root)
                }
            }
        }
        #expect(MerkleTree.root(fromLeafHash: leafHashes[0], index: 1, treeSize: 1, path: []) == nil)
    }
}
