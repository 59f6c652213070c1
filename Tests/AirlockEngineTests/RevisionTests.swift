import AirlockCore
import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

/// Request changes: a reviewer's edit is a revision that goes through the whole pipeline and
/// supersedes the old mutation in the same commit.
@Suite("Revisions")
struct RevisionTests {
    typealias Fixture = LifecycleEffectsTests.Fixture
    static let bob = LifecycleEffectsTests.bob
    static let agent = LifecycleEffectsTests.agent

    static func changes(amount: Double) throws -> Value {
        try Value(json: #"{"amount":\#(amount),"currency":"EUR","from_account":"acc-100200","to_account":"acc-100001"}"#)
    }

    @Test("a smaller amount: the revision is decided afresh (low, executed), the old one superseded, linked both ways, diff audited")
    func smallerAmount() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        #expect(old.status == .pendingReview)
        let revision = try await fixture.gateway.requestChanges(
            on: old.id, changes: try Self.changes(amount: 500), note: "split it: 500 now, the rest after the audit", by: Self.bob
        ).view
        #expect(revision.id != old.id)
        #expect(revision.revisionOf == old.id)
        #expect(revision.actor == "agent-7")
        #expect(revision.tier == "low" && revision.status == .executed)
        let superseded = try #require(try await fixture.gateway.view(of: old.id))
        #expect(superseded.status == .superseded)
        #expect(superseded.supersededBy == revision.id)
        #expect(superseded.approvals?.state == "cancelled")
        #expect(try await fixture.store.executedChange(mutationID: old.id) == nil)
        let audit = try #require(try await fixture.store.auditRecords(mutationID: old.id).first { $0.kind == .superseded })
        #expect(audit.actor == "bob")
        #expect(audit.payload.contains(#""diff":{"amount":{"from":25000.0,"to":500.0}}"#), "\(audit.payload)")
        #expect(audit.payload.contains(#""revision":"\#(revision.id)""#))
        #expect(audit.payload.contains("split it"))
        // The old one is final: no vote, no second request.
        await #expect(throws: GatewayError.self) {
            try await fixture.gateway.vote(on: old.id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
        }
        await #expect(throws: GatewayError.self) {
            try await fixture.gateway.requestChanges(on: old.id, changes: try Self.changes(amount: 1), note: "again", by: Self.bob)
        }
    }

    @Test("an edit can never bypass policy: a revision that now scores high waits for approval")
    func stillHigh() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        let revision = try await fixture.gateway.requestChanges(
            on: old.id, changes: try Self.changes(amount: 40_000), note: "the full amount in one go", by: Self.bob
        ).view
        #expect(revision.status == .pendingReview)
        #expect(revision.tier == "high")
        #expect(revision.approvals?.received.isEmpty == true)
        #expect(try await fixture.gateway.view(of: old.id)?.status == .superseded)
    }

    @Test("a revision that does not validate is refused with its errors, and changes nothing")
    func invalidRevision() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        let before = try await fixture.store.mutations(MutationQuery()).count
        let negative = try Value(json: #"{"amount":-5}"#)
        do {
            _ = try await fixture.gateway.requestChanges(on: old.id, changes: negative, note: "less", by: Self.bob)
            Issue.record("an invalid revision was accepted")
        } catch {
            #expect(error.kind == .invalidMutation)
            #expect(!error.errors.isEmpty)
        }
        #expect(try await fixture.gateway.view(of: old.id)?.status == .pendingReview)
        #expect(try await fixture.store.mutations(MutationQuery()).count == before)
    }

    @Test("who may ask: a reviewer of the pool; never the submitter or its owners; never a parallel review; a note is required")
    func whoMayAsk() async throws {
        let fixture = try await Fixture()
        let mine = try await fixture.gateway.submit(try Value(json: LifecycleEffectsTests.largeTransfer), by: LifecycleEffectsTests.bot).view
        let five = try Self.changes(amount: 5)
        for (who, kind) in [(LifecycleEffectsTests.olga, GatewayError.Kind.forbidden), (LifecycleEffectsTests.dana, .forbidden)] {
            do {
                _ = try await fixture.gateway.requestChanges(on: mine.id, changes: five, note: "less", by: who)
                Issue.record("\(who.id) asked for changes")
            } catch {
                #expect(error.kind == kind, "\(who.id): \(error)")
            }
        }
        await #expect(throws: GatewayError.self) {
            try await fixture.gateway.requestChanges(on: mine.id, changes: try Self.changes(amount: 5), note: "  ", by: Self.bob)
        }
        let email = try await fixture.submit(#"{"resource":"crm.customer","operation":"update","target":"cus-42","changes":{"email":"a@example.com"}}"#)
        try #require(email.tier == "medium")
        let other = try Value(json: #"{"email":"b@example.com"}"#)
        do {
            _ = try await fixture.gateway.requestChanges(on: email.id, changes: other, note: "other", by: Self.bob)
            Issue.record("changes were asked of a change that already ran")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.detail.contains("reject it"))
        }
    }

    @Test("a client waiting on the old mutation wakes with the revision's id")
    func waitWakes() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        let gateway = fixture.gateway
        let agent = Self.agent
        let waiting = Task {
            try await gateway.waitForChange(of: old.id, from: .pendingReview, seconds: 600, for: agent)
        }
        while gateway.waitingRequests == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let revision = try await gateway.requestChanges(on: old.id, changes: try Self.changes(amount: 500), note: "less", by: Self.bob)
        let woken = try await waiting.value
        #expect(woken.status == .superseded)
        #expect(woken.supersededBy == revision.view.id)
    }
}
