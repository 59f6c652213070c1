import AirlockCore
import Testing

/// The oversight checks: signs that reviewers no longer look.
@Suite struct OversightTests {
    static func vote(_ reviewer: String, approve: Bool = true, at: Double, opened: Double, blocking: Bool = true) -> Oversight.Vote {
        Oversight.Vote(reviewer: reviewer, pool: "finance", approve: approve, at: at, reviewOpenedAt: opened, blocking: blocking)
    }

    @Test func anApprovalOfABlockingReviewWithinSecondsOfItsOpeningIsTooFast() {
        let settings = Oversight.Settings()
        let fast = Oversight.check([Self.vote("alice", at: 1_003, opened: 1_000)], settings: settings)
        #expect(fast.map(\.key) == ["fast_approval reviewer alice"])
        #expect(Oversight.check([Self.vote("alice", at: 1_030, opened: 1_000)], settings: settings).isEmpty)
        // A parallel (medium) review or a rejection is not a rubber stamp.
        #expect(Oversight.check([Self.vote("alice", at: 1_003, opened: 1_000, blocking: false)], settings: settings).isEmpty)
        #expect(Oversight.check([Self.vote("alice", approve: false, at: 1_003, opened: 1_000)], settings: settings).isEmpty)
    }

    @Test func approvingNearlyEverythingOverEnoughVotes() {
        var settings = Oversight.Settings()
        settings.minimumVotes = 50
        let votes = (0..<50).map { Self.vote("bob", at: Double($0) * 600 + 100, opened: Double($0) * 600) }
        #expect(Oversight.check(votes, settings: settings).map(\.key) == ["approves_nearly_all reviewer bob"])
        var mixed = votes
        mixed[3].approve = false
        mixed[7].approve = false
        #expect(Oversight.check(mixed, settings: settings).isEmpty, "48 of 50 is 96%")
        #expect(Oversight.check(Array(votes.prefix(49)), settings: settings).isEmpty, "too few votes to judge")
    }

    @Test func aBurstOfApprovalsFasterThanADiffCanBeRead() {
        let settings = Oversight.Settings()  // 5 in a row, each within 10 s
        let burst = (0..<5).map { Self.vote("carol", at: 5_000 + Double($0) * 4, opened: 0) }
        #expect(Oversight.check(burst, settings: settings).map(\.key) == ["approval_burst reviewer carol"])
        var broken = burst
        broken[2].approve = false
        #expect(Oversight.check(broken, settings: settings).isEmpty)
        let paced = (0..<5).map { Self.vote("carol", at: 5_000 + Double($0) * 30, opened: 0) }
        #expect(Oversight.check(paced, settings: settings).isEmpty)
    }

    @Test func aPoolWhoseOverdueCountKeepsGrowing() {
        let settings = Oversight.Settings()  // grew on 3 checks in a row
        #expect(Oversight.overdueGrowing(["finance": [1, 2, 3, 4]], settings: settings).map(\.key) == ["overdue_growing pool finance"])
        #expect(Oversight.overdueGrowing(["finance": [1, 2, 2, 4]], settings: settings).isEmpty)
        #expect(Oversight.overdueGrowing(["finance": [2, 3, 4]], settings: settings).isEmpty, "not enough checks yet")
    }
}
