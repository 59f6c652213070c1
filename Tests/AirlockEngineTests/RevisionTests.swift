import AirlockCore
import AirlockEngine
import AirlockStore
import AirlockTestSupport
import CEL
import Foundation
import Testing

/// Request changes: a reviewer's edit is a revision that goes through the whole pipeline and
/// supersedes the old mutation in the same commit.
@Suite("Revisions", .sharedResources)
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
        // The reviewer who wrote its values does not review the revision; another one does.
        do {
            _ = try await fixture.gateway.vote(on: revision.id, approve: true, note: nil, by: Self.bob)
            Issue.record("the reviser approved its own revision")
        } catch {
            #expect(error.kind == .forbidden && error.detail.contains("wrote this revision"), "\(error)")
        }
        _ = try await fixture.gateway.vote(on: revision.id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
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
        // A reviewer who voted does not take the vote back by asking for changes.
        _ = try await fixture.gateway.vote(on: mine.id, approve: false, note: "too much", by: LifecycleEffectsTests.carol)
        let voted = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        _ = try await fixture.gateway.vote(on: voted.id, approve: true, note: nil, by: Self.bob)
        do {
            _ = try await fixture.gateway.requestChanges(on: voted.id, changes: five, note: "less after all", by: Self.bob)
            Issue.record("a voter asked for changes")
        } catch {
            #expect(error.kind == .conflict && error.detail.contains("already voted"), "\(error)")
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

/// Activating a policy version re-decides the mutations under review, so that no approval given
/// under the old rules executes what the new ones forbid.
@Suite("Re-decision on activation", .sharedResources)
struct RedecisionTests {
    typealias Fixture = LifecycleEffectsTests.Fixture
    static let transfer12k =
        #"{"resource":"payments.transfer","operation":"create","changes":{"amount":12000.0,"currency":"EUR","from_account":"acc-100200","to_account":"acc-100001"}}"#

    /// Transfers of 20,000 or more are blocked; from 5,000 they need finance and privacy.
    static let stricter = """
        policy: stricter
        classes: [public, internal, financial, confidential, pii, restricted]
        tiers:
          medium: { from_score: 30, pool: privacy }
          high: { from_score: 60, pool: finance, sla: 1h }
          block: { from_score: 100 }
        resources:
          payments.transfer:
            operations: [create]
            reversible: false
            fields:
              amount: { type: number, required: true, class: financial }
              currency: { type: string, required: true }
              from_account: { type: string, required: true }
              to_account: { type: string, required: true }
              memo: { type: string }
        rules:
          - id: no-large-transfers
            resource: payments.transfer
            when: mutation.changes.amount >= 20000.0
            tier: block
            reason: Transfers of 20,000 or more are not made by agents any more
          - id: two-teams
            resource: payments.transfer
            when: mutation.changes.amount >= 5000.0
            tier: high
            approvals: { all_of: [{ pool: finance }, { pool: privacy }] }
            reason: Two teams look at transfers of 5,000 or more
        """

    static func activateStricter(_ fixture: Fixture) async throws -> String {
        let uploaded = try await fixture.gateway.upload(policy: "stricter", text: Self.stricter, by: LifecycleEffectsTests.root)
        _ = try await fixture.gateway.activate(policyVersion: uploaded.record.hash, by: LifecycleEffectsTests.root)
        return uploaded.record.hash
    }

    @Test("a stricter version that blocks a mutation under review rejects it: the approval given before never executes")
    func blockRejects() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(LifecycleEffectsTests.largeTransfer)
        let oldVersion = try #require(old.policyVersion)
        _ = try await fixture.gateway.vote(on: old.id, approve: true, note: nil, by: LifecycleEffectsTests.bob)
        let version = try await Self.activateStricter(fixture)
        let view = try #require(try await fixture.gateway.view(of: old.id))
        #expect(view.status == .rejected)
        #expect(view.policyVersion == version)
        #expect(view.approvals?.state == "cancelled")
        #expect(try await fixture.store.executedChange(mutationID: old.id) == nil)
        let audit = try await fixture.store.auditRecords(mutationID: old.id)
        let redecided = try #require(audit.first { $0.kind == .redecided })
        #expect(redecided.payload.contains(#""from_version":"\#(oldVersion)""#) && redecided.payload.contains(#""to_version":"\#(version)""#))
        #expect(redecided.payload.contains(#""tier":"block""#))
        await #expect(throws: GatewayError.self) {
            try await fixture.gateway.vote(on: old.id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
        }
    }

    @Test("a version that routes a mutation differently opens a new review under it; votes bound to the old version are refused")
    func reroutes() async throws {
        let fixture = try await Fixture()
        let old = try await fixture.submit(Self.transfer12k)
        #expect(old.status == .pendingReview)
        let oldVersion = try #require(old.policyVersion)
        let oldReview = try #require(try await fixture.store.reviews(mutationID: old.id).last)
        let version = try await Self.activateStricter(fixture)
        let view = try #require(try await fixture.gateway.view(of: old.id))
        #expect(view.status == .pendingReview)
        #expect(view.policyVersion == version)
        #expect(view.approvals?.groups.map(\.pool) == ["finance", "privacy"])
        let reviews = try await fixture.store.reviews(mutationID: old.id)
        #expect(reviews.count == 2 && reviews.first?.id == oldReview.id && reviews.first?.status == .cancelled, "\(reviews)")
        // A reviewer who looked under the old version must look again.
        do {
            _ = try await fixture.gateway.vote(
                on: old.id, approve: true, note: nil, seen: Seen(policyVersion: oldVersion), by: LifecycleEffectsTests.bob)
            Issue.record("a vote for the old version counted")
        } catch {
            #expect(error.kind == .conflict)
        }
        _ = try await fixture.gateway.vote(
            on: old.id, approve: true, note: nil, seen: Seen(contentHash: view.contentHash, policyVersion: version),
            by: LifecycleEffectsTests.bob)
        let done = try await fixture.gateway.vote(on: old.id, approve: true, note: nil, by: LifecycleEffectsTests.carol)
        #expect(done.status == .executed)
    }

    @Test("a mutation the new version routes the same way keeps its review and votes")
    func unchanged() async throws {
        let fixture = try await Fixture()
        let first = try await Self.activateStricter(fixture)
        let id = try await fixture.submit(Self.transfer12k).id
        _ = try await fixture.gateway.vote(on: id, approve: true, note: nil, by: LifecycleEffectsTests.bob)
        // The same rules under another name: another version, the same routing.
        let renamed = Self.stricter.replacingOccurrences(of: "policy: stricter", with: "policy: stricter-renamed")
        let uploaded = try await fixture.gateway.upload(policy: "renamed", text: renamed, by: LifecycleEffectsTests.root)
        #expect(uploaded.record.hash != first)
        _ = try await fixture.gateway.activate(policyVersion: uploaded.record.hash, by: LifecycleEffectsTests.root)
        let reviews = try await fixture.store.reviews(mutationID: id)
        #expect(reviews.count == 1 && reviews[0].status == .open)
        let view = try #require(try await fixture.gateway.view(of: id))
        #expect(view.approvals?.received.map(\.reviewer) == ["bob"])
        #expect(view.policyVersion == uploaded.record.hash)
    }
}
