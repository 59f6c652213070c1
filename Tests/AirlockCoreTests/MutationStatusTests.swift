import AirlockCore
import Foundation
import Testing

@Suite("Mutation lifecycle")
struct MutationStatusTests {
    /// DESIGN.md's diagram, plus `rolling_back → executed` and `pending_review → superseded`
    /// (a reviewer asked for changes), written out pair by pair.
    static let allowed: Set<[MutationStatus]> = [
        [.received, .rejected],
        [.received, .approved],
        [.received, .pendingReview],
        [.pendingReview, .approved],
        [.pendingReview, .rejected],
        [.pendingReview, .expired],
        [.pendingReview, .superseded],
        [.approved, .executing],
        [.approved, .rejected],
        [.executing, .executed],
        [.executing, .failed],
        [.executed, .rollingBack],
        [.rollingBack, .rolledBack],
        [.rollingBack, .executed],
    ]

    @Test("raw values are the API's snake_case names")
    func rawValues() {
        #expect(
            MutationStatus.allCases.map(\.rawValue) == [
                "received", "pending_review", "approved", "executing", "executed", "failed", "rejected", "expired",
                "rolling_back", "rolled_back", "superseded",
            ])
        for status in MutationStatus.allCases {
            #expect(MutationStatus(rawValue: status.rawValue) == status)
            #expect(status.description == status.rawValue)
        }
        #expect(MutationStatus(rawValue: "pendingReview") == nil)
    }

    @Test("every pair of statuses is allowed exactly when the diagram says so", arguments: MutationStatus.allCases)
    func everyPair(from: MutationStatus) throws {
        for to in MutationStatus.allCases {
            let expected = Self.allowed.contains([from, to])
            #expect(from.canTransition(to: to) == expected, "\(from) → \(to)")
            #expect(from.successors.contains(to) == expected)
            if expected {
                let transition = try from.transition(to: to)
                #expect(transition.from == from && transition.to == to)
                #expect(transition.description == "\(from) → \(to)")
            } else {
                #expect(throws: MutationTransitionError.self) { try from.transition(to: to) }
            }
        }
    }

    @Test("the list of all transitions is the diagram")
    func allTransitions() {
        #expect(Set(MutationTransition.all.map { [$0.from, $0.to] }) == Self.allowed)
        #expect(MutationTransition.all.count == Self.allowed.count)
    }

    @Test("no status moves to itself: nothing executes twice")
    func noSelfLoops() {
        for status in MutationStatus.allCases {
            #expect(!status.canTransition(to: status))
        }
    }

    @Test("approving a rejected mutation is refused with a message naming both statuses")
    func refusedTransitionMessage() {
        #expect(throws: MutationTransitionError(from: .rejected, to: .approved)) {
            try MutationStatus.rejected.transition(to: .approved)
        }
        do {
            _ = try MutationStatus.executing.transition(to: .approved)
            Issue.record("executing → approved was allowed")
        } catch {
            #expect(
                error.description
                    == "a mutation cannot move from executing to approved (allowed from executing: executed, failed)")
        }
        do {
            _ = try MutationStatus.rejected.transition(to: .approved)
        } catch {
            #expect(error.description == "a mutation cannot move from rejected to approved (rejected is final)")
        }
    }

    @Test("final statuses are exactly those nothing leaves")
    func finalStatuses() {
        #expect(Set(MutationStatus.allCases.filter(\.isFinal)) == [.failed, .rejected, .expired, .rolledBack, .superseded])
        #expect(!MutationStatus.executed.isFinal)
    }

    @Test("every status is reachable from received, and every status can reach a final one")
    func reachability() {
        func reachable(from start: MutationStatus) -> Set<MutationStatus> {
            var seen: Set<MutationStatus> = [start]
            var frontier = [start]
            while let status = frontier.popLast() {
                for next in status.successors where seen.insert(next).inserted {
                    frontier.append(next)
                }
            }
            return seen
        }
        #expect(reachable(from: .received) == Set(MutationStatus.allCases))
        for status in MutationStatus.allCases {
            let finishes = reachable(from: status).contains { $0.isFinal }
            #expect(finishes, "\(status) cannot finish")
        }
    }

    @Test("the statuses encode to and decode from their raw values in JSON")
    func codable() throws {
        let encoded = try JSONEncoder().encode(MutationStatus.allCases)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""pending_review""#))
        #expect(try JSONDecoder().decode([MutationStatus].self, from: encoded) == MutationStatus.allCases)
    }
}
