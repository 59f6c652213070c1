import AirlockCore
import AirlockStore
import Foundation
import AirlockTestSupport
import Testing

/// Store conformance: policy versions and signal state.
@Suite("Store conformance: policy versions and signal state", .sharedResources)
struct PolicyAndSignalConformanceTests {
    private func version(_ hash: String, _ text: String = "policy: p\n") -> NewPolicyVersion {
        NewPolicyVersion(name: "payments", hash: hash, text: text, createdBy: "ops")
    }

    @Test("policy versions are kept, at most one active, activation audited", arguments: StoreFactory.all)
    func policyVersions(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.activePolicyVersion() == nil)

        var record = StoreChange(at: subject.clock.now)
        record.recordPolicyVersion(version("pv-1"))
        record.recordPolicyVersion(version("pv-2", "policy: q\n"))
        record.recordPolicyVersion(version("pv-1"))
        _ = try await store.apply(record)
        #expect(try await store.policyVersions().map(\.hash) == ["pv-1", "pv-2"])

        var conflicting = StoreChange(at: subject.clock.now)
        conflicting.recordPolicyVersion(version("pv-1", "policy: other\n"))
        #expect(await storeErrorCode { _ = try await store.apply(conflicting) } == .policyConflict)

        for (hash, by) in [("pv-1", "alice"), ("pv-2", "bob")] {
            subject.clock.advance(by: 10)
            var activate = StoreChange(at: subject.clock.now)
            activate.activatePolicyVersion(hash: hash, by: by, audit: AuditEntry(kind: .policyActivated, actor: by))
            let receipt = try await store.apply(activate)
            #expect(receipt.auditRecords.map(\.kind) == [.policyActivated])
            #expect(receipt.auditRecords.first?.policyVersion == hash && receipt.auditRecords.first?.mutationID == nil)
        }
        let active = try #require(try await store.activePolicyVersion())
        #expect(active.hash == "pv-2" && active.activatedBy == "bob" && active.activatedAt == subject.clock.now)
        #expect(active.text == "policy: q\n" && active.name == "payments" && active.createdBy == "ops")
        let first = try #require(try await store.policyVersion(hash: "pv-1"))
        #expect(!first.isActive && first.activatedBy == "alice")
        #expect(try await store.policyVersions().filter(\.isActive).map(\.hash) == ["pv-2"])

        var unknown = StoreChange(at: subject.clock.now)
        unknown.activatePolicyVersion(hash: "pv-9", by: "eve", audit: AuditEntry(kind: .policyActivated, actor: "eve"))
        #expect(await storeErrorCode { _ = try await store.apply(unknown) } == .notFound)
        #expect(try await store.activePolicyVersion()?.hash == "pv-2")
    }

    @Test("signal state is an opaque blob per key, replaced whole", arguments: StoreFactory.all)
    func signalState(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let store = subject.store
        #expect(try await store.signalState(key: "signals") == nil)
        for blob in [Data([1, 2, 3]), Data([0, 255]), Data()] {
            var change = StoreChange(at: subject.clock.now)
            change.saveSignalState(blob, forKey: "signals")
            let receipt = try await store.apply(change)
            #expect(receipt.auditRecords.isEmpty)
            #expect(try await store.signalState(key: "signals") == blob)
        }
        #expect(try await store.signalState(key: "other") == nil)
    }

    @Test("an empty change writes nothing", arguments: StoreFactory.all)
    func emptyChange(_ factory: StoreFactory) async throws {
        let subject = try await factory()
        defer { subject.cleanUp() }
        let receipt = try await subject.store.apply(StoreChange(at: subject.clock.now))
        #expect(receipt.auditRecords.isEmpty && receipt.checkpoint == nil)
        #expect(try await subject.store.auditHead().size == 0)
    }
}
