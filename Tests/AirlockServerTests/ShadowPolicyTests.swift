import AirlockServer
import Foundation
import HTTPTypes
import NIOCore
import AirlockTestSupport
import Testing

/// `POST /v1/policies/{version}/shadow`, `GET` and `DELETE /v1/policies/shadow`: a candidate
/// decides every live mutation beside the active policy, without effect, and the disagreements
/// are kept with both decisions.
@Suite(.sharedResources) struct ShadowPolicyTests {
    /// A candidate under which a catalog title "Shadowed" waits for an ops lead; other titles are low.
    static let candidate = """
        policy: catalog-candidate
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
          - id: shadowed-title
            when: mutation.changes.title == "Shadowed"
            tier: high
            reason: Shadowed titles are reviewed

        """

    static func title(_ text: String) -> String {
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "\#(text)"}}"#
    }

    @Test func theCandidateDecidesBesideTheActivePolicyAndItsDisagreementsAreReported() async throws {
        try await TestServer.with { api, _ in
            let uploaded = try await api.send(
                .put, "/v1/policies/candidate", key: TestServer.Key.root, body: ByteBuffer(string: Self.candidate),
                headers: [.contentType: "application/yaml"])
            let version = try #require(uploaded.json["version"].string, "\(uploaded)")

            // Only admins start a shadow run; readers of the report are reviewers, admins, auditors.
            let forbidden = try await api.post("/v1/policies/\(version)/shadow", key: TestServer.Key.agent, json: "{}")
            #expect(forbidden.status == .forbidden, "\(forbidden)")
            let unknown = try await api.post("/v1/policies/nope/shadow", key: TestServer.Key.root, json: "{}")
            #expect(unknown.status == .notFound, "\(unknown)")
            let nothingYet = try await api.get("/v1/policies/shadow", key: TestServer.Key.alice)
            #expect(nothingYet.json["version"].isNull, "\(nothingYet)")

            let before = try await api.submit(Self.title("Before"))  // decided before the shadow run: not counted
            #expect(before.json["tier"].string == "low")
            // By the version's first digits, as the reports print it: the run is of the whole version.
            let started = try await api.post("/v1/policies/\(version.prefix(12))/shadow", key: TestServer.Key.root, json: "{}")
            #expect(started.status == .ok, "\(started)")
            #expect(started.json["version"].string == version)
            #expect(started.json["by"].string == "root")

            let same = try await api.submit(Self.title("Desk lamp"))
            let differs = try await api.submit(Self.title("Shadowed"))
            let other = try await api.submit(Mutations.highDelete)  // a resource the candidate does not know
            // The candidate has no effect: the active policy's decisions stand.
            #expect(same.json["tier"].string == "low", "\(same)")
            #expect(differs.json["tier"].string == "low", "\(differs)")
            #expect(differs.json["status"].string == "executed" || differs.json["status"].string == "approved", "\(differs)")
            #expect(other.json["tier"].string == "high", "\(other)")
            let differsID = try #require(differs.json["id"].string)
            let otherID = try #require(other.json["id"].string)

            let denied = try await api.get("/v1/policies/shadow", key: TestServer.Key.agent)
            #expect(denied.status == .forbidden, "\(denied)")
            let report = try await api.get("/v1/policies/shadow", key: TestServer.Key.alice)
            #expect(report.status == .ok, "\(report)")
            #expect(report.json["version"].string == version)
            #expect(report.json["running"]["version"].string == version)
            #expect(report.json["evaluated"].int == 3, "\(report)")
            #expect(report.json["disagreements"].int == 2, "\(report)")
            let pairs = report.json["pairs"].array.map { "\($0["active"].string ?? "")>\($0["shadow"].string ?? ""):\($0["count"].int ?? 0)" }
            #expect(Set(pairs) == ["low>high:1", "high>invalid:1"], "\(report)")
            let rules = report.json["rules"].array.map { "\($0["rule"].string ?? ""):\($0["active_only"].int ?? 0)/\($0["shadow_only"].int ?? 0)" }
            #expect(rules.contains("shadowed-title:0/1"), "\(report)")
            let recent = report.json["recent"].array
            #expect(recent.map { $0["mutation"].string } == [otherID, differsID], "newest first: \(report)")
            #expect(recent.last?["shadow"]["decision"]["tier"].string == "high", "the candidate's whole decision is kept: \(report)")
            #expect(recent.last?["active"]["tier"].string == "low")
            #expect(recent.first?["shadow"]["decision"]["invalid"].string?.contains("crm.customer") == true, "\(report)")

            // Stopped: later mutations are not evaluated, and the report stays.
            let stopped = try await api.send(.delete, "/v1/policies/shadow", key: TestServer.Key.root)
            #expect(stopped.status == .ok, "\(stopped)")
            #expect(stopped.json["stopped"]["version"].string == version)
            _ = try await api.submit(Self.title("Shadowed"))
            let after = try await api.get("/v1/policies/shadow", key: TestServer.Key.auditor)
            #expect(after.json["evaluated"].int == 3, "\(after)")
            #expect(after.json["running"].isNull, "\(after)")
            let again = try await api.send(.delete, "/v1/policies/shadow", key: TestServer.Key.root)
            #expect(again.status == .notFound, "\(again)")

            // A version by its first digits, as the reports print it, is the same report; an
            // unknown one is 404, not an empty report that reads as "no disagreement".
            let short = try await api.get("/v1/policies/shadow?version=\(version.prefix(12))", key: TestServer.Key.auditor)
            #expect(short.json["version"].string == version, "\(short)")
            #expect(short.json["evaluated"].int == 3, "\(short)")
            let unknownVersion = try await api.get("/v1/policies/shadow?version=deadbeefdeadbeef", key: TestServer.Key.auditor)
            #expect(unknownVersion.status == .notFound, "\(unknownVersion)")
            let emptyVersion = try await api.get("/v1/policies/shadow?version=", key: TestServer.Key.auditor)
            #expect(emptyVersion.status == .badRequest, "\(emptyVersion)")

            // Both are in the audit log.
            let audit = try await api.get("/v1/audit?limit=1000", key: TestServer.Key.auditor)
            let kinds = audit.json["items"].array.compactMap { $0["kind"].string }
            #expect(kinds.contains("shadow_started") && kinds.contains("shadow_stopped"), "\(kinds)")
        }
    }

    @Test func aShadowRunSurvivesARestart() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let version = try await TestServer.run(stateDirectory: directory) { api, _ in
            let uploaded = try await api.send(
                .put, "/v1/policies/candidate", key: TestServer.Key.root, body: ByteBuffer(string: Self.candidate),
                headers: [.contentType: "application/yaml"])
            let version = try #require(uploaded.json["version"].string, "\(uploaded)")
            let started = try await api.post("/v1/policies/\(version)/shadow", key: TestServer.Key.root, json: "{}")
            #expect(started.status == .ok, "\(started)")
            return version
        }
        try await TestServer.run(stateDirectory: directory) { api, _ in
            _ = try await api.submit(Self.title("Shadowed"))
            let report = try await api.get("/v1/policies/shadow", key: TestServer.Key.root)
            #expect(report.json["running"]["version"].string == version, "\(report)")
            #expect(report.json["disagreements"].int == 1, "\(report)")
        }
    }
}
