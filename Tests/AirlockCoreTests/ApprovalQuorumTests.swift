import AirlockCore
import Testing

@Suite("Approval quorum across pools")
struct ApprovalQuorumTests {
    private func groups(_ counts: [String: Int]) -> [ApprovalGroup] {
        counts.sorted { $0.key < $1.key }.map { ApprovalGroup(pool: $0.key, count: $0.value) }
    }

    @Test("a reviewer in two pools moves to the one only they can fill")
    func movesAnApproverAcross() {
        let need = groups(["finance": 1, "legal": 1])
        // In the order they approved: first the reviewer of both pools, then one of finance only.
        #expect(ApprovalQuorum.isMet(need, approvers: [["finance", "legal"], ["finance"]]))
        #expect(!ApprovalQuorum.isMet(need, approvers: [["finance"], ["finance"]]))
        #expect(!ApprovalQuorum.isMet(need, approvers: [["finance", "legal"]]), "one person counts once")
    }

    @Test("counts above one, pools nobody asked for, empty requirements")
    func counts() {
        let need = groups(["privacy": 1, "support-leads": 2])
        let everywhere: Set = ["privacy", "support-leads"]
        #expect(ApprovalQuorum.isMet(need, approvers: [everywhere, everywhere, everywhere]))
        #expect(!ApprovalQuorum.isMet(need, approvers: [everywhere, everywhere]))
        #expect(!ApprovalQuorum.isMet(need, approvers: [["privacy"], ["privacy"], ["support-leads"]]))
        #expect(!ApprovalQuorum.isMet(need, approvers: [["ops"], ["ops"], ["ops"], everywhere]))
        #expect(ApprovalQuorum.isMet([], approvers: []))
        #expect(ApprovalQuorum.isMet(groups(["finance": 0]), approvers: []))
    }

    @Test("agrees with trying every assignment, for every requirement of up to 2 in 3 pools and up to 4 approvers")
    func agreesWithBruteForce() {
        let pools = ["a", "b", "c"]
        let memberships: [Set<String>] = (0..<8).map { bits in Set(pools.indices.filter { bits >> $0 & 1 == 1 }.map { pools[$0] }) }
        // Approvers as multisets of memberships (the order they approved in does not matter).
        var crowds: [[Set<String>]] = [[]]
        var frontier: [[Int]] = [[]]
        for _ in 1...4 {
            frontier = frontier.flatMap { crowd in ((crowd.last ?? 0)..<8).map { crowd + [$0] } }
            crowds += frontier.map { $0.map { memberships[$0] } }
        }
        var checked = 0
        for a in 0...2 {
            for b in 0...2 {
                for c in 0...2 {
                    let need = [ApprovalGroup(pool: "a", count: a), ApprovalGroup(pool: "b", count: b), ApprovalGroup(pool: "c", count: c)]
                    for approvers in crowds {
                        let expected = Self.someAssignmentFills(need, approvers)
                        if ApprovalQuorum.isMet(need, approvers: approvers) != expected {
                            Issue.record("\(need) with \(approvers): expected \(expected)")
                            return
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 27 * 495)
    }

    /// Every way of giving each approver one of their pools, or none.
    private static func someAssignmentFills(_ need: [ApprovalGroup], _ approvers: [Set<String>]) -> Bool {
        func search(_ index: Int, _ counted: [String: Int]) -> Bool {
            if index == approvers.count {
                return need.allSatisfy { counted[$0.pool, default: 0] >= $0.count }
            }
            if search(index + 1, counted) { return true }
            for pool in approvers[index] {
                var next = counted
                next[pool, default: 0] += 1
                if search(index + 1, next) { return true }
            }
            return false
        }
        return search(0, [:])
    }
}
