import AirlockCore
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

@testable import AirlockEngine

/// The ways a mutation under review can be left decided under an older policy version than the
/// active one — and how each is closed.
@Suite("Re-decision: every path", .sharedResources)
struct RedecisionPathsTests {
    typealias Fixture = LifecycleEffectsTests.Fixture
    static let stricter = RedecisionTests.stricter

    @Test("a vote on a mutation the activation's scan has not reached decides it again first: the old approval never counts")
    func voteRedecidesFirst() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(LifecycleEffectsTests.largeTransfer).id
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: LifecycleEffectsTests.bob)
        // The new version is in force, but no scan ran (a crash after the activation's commit).
        fixture.gateway.activate(try PolicyPack.load(name: "stricter.yaml", text: Self.stricter))
        do {
            _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
            Issue.record("the completing vote counted under the old version")
        } catch {
            #expect(error.kind == .conflict, "\(error)")
        }
        let view = try #require(try await fixture.gateway.view(of: id))
        #expect(view.status == .rejected)
        #expect(try await fixture.store.executedChange(mutationID: id) == nil)
    }

    @Test("a restart with a new configured pack decides the mutations under review again")
    func restartWithNewPack() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(LifecycleEffectsTests.largeTransfer).id
        try await fixture.store.close()
        let store = RecordingStore(try SQLiteStore.open(StateDirectory(URL(fileURLWithPath: fixture.state.path))))
        let gateway = Gateway(store: store, principals: fixture.gateway.principals, clock: fixture.gateway.clock)
        try await gateway.start(
            configuredPack: try PolicyPack.load(name: "stricter.yaml", text: Self.stricter),
            files: [("stricter.yaml", Self.stricter)], by: "config")
        #expect(try await gateway.view(of: id)?.status == .rejected)
    }

    @Test("a mutation the new version finds invalid is treated as blocked")
    func invalidUnderNewVersion() async throws {
        let fixture = try await Fixture()
        let id = try await fixture.submit(RedecisionTests.transfer12k).id
        // A version whose schema no longer has the field the mutation sets.
        let narrower = Self.stricter.replacingOccurrences(of: "      memo: { type: string }\n", with: "")
            .replacingOccurrences(of: "      currency: { type: string, required: true }\n", with: "")
        let uploaded = try await fixture.gateway.upload(policy: "narrower", text: narrower, by: LifecycleEffectsTests.root)
        _ = try await fixture.gateway.activate(policyVersion: uploaded.record.hash, by: LifecycleEffectsTests.root)
        let view = try #require(try await fixture.gateway.view(of: id))
        #expect(view.status == .rejected)
        let audit = try await fixture.store.auditRecords(mutationID: id)
        #expect(audit.contains { $0.kind == .redecided && $0.payload.contains("invalid_under_new_version") })
    }

    @Test("an escalated review the new version routes the same way stays escalated, with its deadline")
    func escalatedStays() async throws {
        let fixture = try await Fixture()
        let escalating = Self.stricter.replacingOccurrences(
            of: "high: { from_score: 60, pool: finance, sla: 1h }",
            with: "high: { from_score: 60, pool: finance, sla: 1h, escalate_to: duty-managers }")
        let first = try await fixture.gateway.upload(policy: "escalating", text: escalating, by: LifecycleEffectsTests.root)
        _ = try await fixture.gateway.activate(policyVersion: first.record.hash, by: LifecycleEffectsTests.root)
        let id = try await fixture.submit(RedecisionTests.transfer12k).id
        let clock = try #require(fixture.gateway.clock as? ManualClock)
        clock.advance(by: 3_600)
        try await fixture.gateway.settleDueDeadlines()
        let escalated = try #require(try await fixture.store.reviews(mutationID: id).last)
        #expect(escalated.escalations == 1 && escalated.groups.map(\.pool) == ["duty-managers"])
        let renamed = escalating.replacingOccurrences(of: "policy: stricter", with: "policy: renamed")
        let second = try await fixture.gateway.upload(policy: "renamed", text: renamed, by: LifecycleEffectsTests.root)
        _ = try await fixture.gateway.activate(policyVersion: second.record.hash, by: LifecycleEffectsTests.root)
        let reviews = try await fixture.store.reviews(mutationID: id)
        #expect(reviews.count == 1)
        #expect(reviews.last?.id == escalated.id && reviews.last?.escalations == 1 && reviews.last?.deadline == escalated.deadline)
        #expect(try await fixture.gateway.view(of: id)?.policyVersion == second.record.hash)
    }
}
