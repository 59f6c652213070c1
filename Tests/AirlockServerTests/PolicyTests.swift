import AirlockCore
import AirlockServer
import AirlockStore
import Foundation
import HTTPTypes
import NIOCore
import AirlockTestSupport
import Testing

/// `GET /v1/policies`, `PUT /v1/policies/{name}` and `POST /v1/policies/{version}/activate`.
@Suite(.sharedResources) struct PolicyTests {
    /// A pack under which every catalog change needs an ops lead.
    static let strictPack = """
        policy: strict-catalog
        description: Every catalog change waits for an ops lead.
        classes: [public, internal]
        tiers:
          medium: { from_score: 30, pool: ops-reviewers }
          high: { from_score: 60, pool: ops-leads }
          block: { from_score: 100 }
        resources:
          catalog.product:
            operations: [update]
            reversible: true
            fields:
              title: { type: string, class: public }
        rules:
          - id: review-everything
            when: "true"
            tier: high
            reason: Every catalog change is reviewed

        """

    /// Two problems: a condition that does not parse (line 6) and an unknown tier (line 7).
    static let brokenPack = """
        policy: broken
        tiers:
          high: { from_score: 60, pool: ops-leads }
        rules:
          - id: oops
            when: mutation.changes.price >
            tier: highest

        """

    /// A policy version (hash `0ldc0de`) as an earlier Airlock might have stored it: the strict
    /// pack with a score this one refuses.
    static func versionThatNoLongerChecks() throws -> NewPolicyVersion {
        let text = strictPack.replacingOccurrences(
            of: "    tier: high\n    reason: Every", with: "    tier: high\n    score: 5000000\n    reason: Every")
        #expect(text != strictPack)
        let bundle = try JSONSerialization.data(withJSONObject: ["files": [["name": "old.yaml", "text": text]]])
        return NewPolicyVersion(name: "old", hash: "0ldc0de", text: String(decoding: bundle, as: UTF8.self), createdBy: "root")
    }

    func upload(_ api: APIClient, name: String, _ text: String, key: String = TestServer.Key.root) async throws -> Reply {
        try await api.send(
            .put, "/v1/policies/\(name)", key: key, body: ByteBuffer(string: text), headers: [.contentType: "application/yaml"])
    }

    /// A pack of several files goes up as one YAML stream, a document per file: the example
    /// pack's directory uploaded so is the very version the server loaded from the directory.
    @Test func aPackOfSeveralFilesUploadsAsOneStreamOfDocuments() async throws {
        try await TestServer.with { api, parts in
            let directory = URL(fileURLWithPath: TestServer.examplePack)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
            #expect(names.count > 1)
            let stream = try names.map { name in
                "--- # \(name)\n" + (try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
            }.joined()
            let uploaded = try await upload(api, name: "example", stream)
            #expect(uploaded.status == .ok, "the configured pack is stored already: \(uploaded)")
            #expect(uploaded.json["version"].string == parts.pack.version, "\(uploaded)")

            // A problem in one document names it.
            let broken = stream.replacingOccurrences(of: "from_score: 60", with: "from_score: sixty")
            #expect(broken != stream)
            let refused = try await upload(api, name: "example", broken)
            #expect(refused.status == .unprocessableContent, "\(refused)")
            #expect(refused.json["errors"][0]["path"].string?.hasPrefix("example-1.yaml:") == true, "\(refused)")
        }
    }

    @Test func anUploadIsCheckedAndStoredInactiveThenActivatedAndRolledBack() async throws {
        try await TestServer.with { api, parts in
            let original = parts.pack.version
            let listed = try await api.get("/v1/policies", key: TestServer.Key.root)
            #expect(listed.status == .ok, "\(listed)")
            #expect(listed.json["items"].array.map { $0["version"].string } == [original])
            #expect(listed.json["items"][0]["active"].bool == true)

            let uploaded = try await upload(api, name: "strict", Self.strictPack)
            #expect(uploaded.status == .created, "\(uploaded)")
            #expect(uploaded.json["name"].string == "strict-catalog")
            #expect(uploaded.json["active"].bool == false)
            #expect(uploaded.json["created_by"].string == "root")
            let strict = try #require(uploaded.json["version"].string)
            #expect(strict != original)

            // Stored inactive: decisions still follow the original pack.
            let before = try await api.submit(Mutations.lowTitle)
            #expect(before.json["tier"].string == "low")
            #expect(before.json["policy_version"].string == original)
            let both = try await api.get("/v1/policies", key: TestServer.Key.auditor)
            #expect(both.json["items"].array.count == 2)
            #expect(both.json["items"].array.filter { $0["active"].bool == true }.map { $0["version"].string } == [original])

            // The same pack again, as sent or reformatted, is the stored version (200), never a
            // second one.
            let again = try await upload(api, name: "strict", Self.strictPack)
            #expect(again.status == .ok, "\(again)")
            #expect(again.json["version"].string == strict && again.json["active"].bool == false)
            let reformatted = try await upload(api, name: "strict", "# the same, commented\n" + Self.strictPack)
            #expect(reformatted.status == .ok, "\(reformatted)")
            #expect(reformatted.json["version"].string == strict)
            #expect(try await api.get("/v1/policies", key: TestServer.Key.bob).json["items"].array.count == 2)

            let activated = try await api.send(.post, "/v1/policies/\(strict)/activate", key: TestServer.Key.root)
            #expect(activated.status == .ok, "\(activated)")
            #expect(activated.json["active"].bool == true)
            #expect(activated.json["activated_by"].string == "root")
            let ready = try await api.get("/readyz", key: nil)
            #expect(ready.json["policy_version"].string == strict)

            let after = try await api.submit(Mutations.lowTitle)
            #expect(after.json["tier"].string == "high", "\(after)")
            #expect(after.json["status"].string == "pending_review")
            #expect(after.json["policy_version"].string == strict)
            #expect(after.json["reasons"][0]["rule"].string == "review-everything")
            // crm.customer is unknown to the strict pack.
            #expect(try await api.submit(Mutations.mediumEmail).status == .unprocessableContent)

            // Rollback: the earlier version again.
            let rolledBack = try await api.send(.post, "/v1/policies/\(original.prefix(12))/activate", key: TestServer.Key.root)
            #expect(rolledBack.status == .ok, "\(rolledBack)")
            #expect(rolledBack.json["version"].string == original)
            let restored = try await api.submit(Mutations.lowTitle)
            #expect(restored.json["tier"].string == "low", "\(restored)")
            #expect(restored.json["policy_version"].string == original)
            let final = try await api.get("/v1/policies", key: TestServer.Key.root)
            #expect(final.json["items"].array.filter { $0["active"].bool == true }.map { $0["version"].string } == [original])

            // Both activations are in the audit log, by root.
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
            let activations = audit.json["items"].array.filter { $0["kind"].string == "policy_activated" }
            #expect(activations.map { $0["policy_version"].string } == [original, strict, original], "\(activations)")
            #expect(activations.dropFirst().allSatisfy { $0["actor"].string == "root" })
        }
    }

    @Test func aStoredVersionThatNoLongerChecksIs422OnActivation() async throws {
        try await TestServer.with { api, parts in
            var change = StoreChange(at: Date())
            change.recordPolicyVersion(try Self.versionThatNoLongerChecks())
            _ = try await parts.store.apply(change)
            let reply = try await api.send(.post, "/v1/policies/0ldc0de/activate", key: TestServer.Key.root)
            #expect(reply.status == .unprocessableContent, "\(reply)")
            #expect(reply.json["errors"].array.contains { $0["message"].string?.contains("score must be between") == true }, "\(reply)")
            let listed = try await api.get("/v1/policies", key: TestServer.Key.root)
            #expect(listed.json["items"].array.filter { $0["active"].bool == true }.map { $0["version"].string } == [parts.pack.version])
        }
    }

    @Test func concurrentUploadsOfOneVersionStoreItOnce() async throws {
        try await TestServer.with { api, _ in
            // Eight copies, each formatted its own way, at once: one version, and no conflict.
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for copy in 0..<8 {
                    group.addTask { try await upload(api, name: "strict", "# copy \(copy)\n" + Self.strictPack) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .ok || $0.status == .created }, "\(replies)")
            #expect(Set(replies.compactMap { $0.json["version"].string }).count == 1, "\(replies)")
            #expect(try await api.get("/v1/policies", key: TestServer.Key.root).json["items"].array.count == 2)
        }
    }

    @Test func aPackThatDoesNotCheckIs422WithFileLineAndColumn() async throws {
        try await TestServer.with { api, _ in
            let reply = try await upload(api, name: "broken", Self.brokenPack)
            #expect(reply.status == .unprocessableContent, "\(reply)")
            #expect(reply.contentType == "application/problem+json")
            let paths = reply.json["errors"].array.compactMap { $0["path"].string }
            #expect(paths.contains { $0.hasPrefix("broken.yaml:6:") }, "\(reply)")
            #expect(paths.contains { $0.hasPrefix("broken.yaml:7:") }, "\(reply)")
            #expect(reply.json["errors"].array.allSatisfy { !($0["message"].string ?? "").isEmpty })

            let syntax = try await upload(api, name: "syntax", "policy: [unclosed\n")
            #expect(syntax.status == .unprocessableContent, "\(syntax)")
            #expect(syntax.json["errors"][0]["path"].string?.hasPrefix("syntax.yaml:") == true, "\(syntax)")

            let unknownPool = Self.strictPack.replacingOccurrences(of: "pool: ops-leads", with: "pool: night-shift")
            let pools = try await upload(api, name: "pools", unknownPool)
            #expect(pools.status == .unprocessableContent, "\(pools)")
            #expect(pools.json["detail"].string?.contains("night-shift") == true, "\(pools)")

            // Nothing was stored.
            #expect(try await api.get("/v1/policies", key: TestServer.Key.root).json["items"].array.count == 1)
        }
    }
}
