import AirlockCore
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

@testable import AirlockEngine

/// `policy replay` decides each page of the audit log as it reads it and keeps no case: its
/// report is the one of reading the whole history first and replaying it after.
@Suite("Replay of the recorded history, page by page", .sharedResources)
struct RecordedHistoryReplayTests {
    /// The reviewed transfers' resource with no rules: everything it reads is low.
    static let lenient: String = {
        let stricter = RedecisionTests.stricter
        return String(stricter[..<stricter.range(of: "rules:")!.lowerBound]) + "rules: []\n"
    }()

    @Test(arguments: [2, 10_000])
    func replayingPageByPageGivesTheReportOfReadingFirst(pageSize: Int) async throws {
        let fixture = try await LifecycleEffectsTests.Fixture()
        let gateway = fixture.gateway
        let rejected = try await fixture.submit(LifecycleEffectsTests.largeTransfer).id
        _ = try await gateway.vote(on: rejected, approve: false, note: "not asked for", by: LifecycleEffectsTests.bob)
        let approved = try await fixture.submit(LifecycleEffectsTests.largeTransfer).id
        _ = try await gateway.vote(on: approved, approve: true, note: nil, by: LifecycleEffectsTests.bob)
        _ = try await gateway.vote(on: approved, approve: true, note: nil, by: LifecycleEffectsTests.carol)
        _ = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        // A resource the candidate does not know: refused by it.
        _ = try await fixture.submit(LifecycleEffectsTests.notes)
        _ = try await fixture.submit(RedecisionTests.transfer12k)

        let candidate = PolicyEngine(pack: try PolicyPack.load(name: "lenient.yaml", text: Self.lenient))
        let since = Date(timeIntervalSince1970: 0)
        let history = try await RecordedHistory.read(from: fixture.store, since: since, pageSize: pageSize, tasks: 2)
        let expected = await Replay.run(history.cases, candidate: candidate, tasks: 2)
        let (streamed, report, _) = try await RecordedHistory.replay(
            from: fixture.store, since: since, candidate: candidate, pageSize: pageSize, tasks: 2)

        #expect(streamed.cases.isEmpty, "no case is kept")
        #expect(streamed.records == history.records && history.records > 10)
        #expect(streamed.unreadable.map(\.mutationID) == history.unreadable.map(\.mutationID))
        #expect(expected.replayed == 4 && report.replayed == expected.replayed)
        #expect(expected.refused.count == 1 && report.refused.map(\.mutationID) == expected.refused.map(\.mutationID))
        #expect(report.changes.map(\.mutationID) == expected.changes.map(\.mutationID))
        #expect(report.changes.map(\.outcome) == expected.changes.map(\.outcome))
        #expect(report.changes.contains { $0.mutationID == approved && $0.outcome.approvedByPerson })
        #expect(expected.missedRejections.map(\.mutationID) == [rejected])
        #expect(report.missedRejections.map(\.mutationID) == [rejected])
        #expect(report.confusion == expected.confusion)
        #expect(report.rules == expected.rules)
    }
}
