import AirlockEngine
import AirlockStore
import AirlockTestSupport
import Foundation
import GRDB
import HTTPTypes
import Testing

/// `GET /v1/audit/verify` checks the log against the configured witness.
@Suite(.sharedResources) struct AuditWitnessTests {
    @Test func aLogCutBackWithItsCheckpointsFailsAgainstTheWitness() async throws {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-witness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { removeTemporaryFolder(outside.path) }
        let witness = outside.appendingPathComponent("witness.jsonl")
        let configure = { (configuration: inout GatewayConfiguration) in
            configuration.checkpointEvery = 2
            configuration.witnessPath = witness.path
        }

        try await TestServer.run(stateDirectory: directory, configure: configure) { api, _ in
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.invalidTransfer)
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
        let witnessed = try AuditWitness(url: witness).read().checkpoints.map(\.treeSize)
        #expect(witnessed.count >= 2, "\(witnessed)")

        // Cut the log back to the first checkpoint, with the later checkpoints, and fix the marker.
        let kept = try #require(witnessed.first)
        var settings = Configuration()
        settings.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: directory + "/airlock.sqlite", configuration: settings)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM audit_log WHERE seq > ?", arguments: [kept])
            try db.execute(sql: "DELETE FROM audit_checkpoints WHERE tree_size > ?", arguments: [kept])
            try db.execute(
                sql: """
                    UPDATE audit_head SET size = ?, checkpoint_size = ?,
                        last_hash = (SELECT hash FROM audit_log WHERE seq = ?)
                    """, arguments: [kept, kept, kept])
        }
        try queue.close()

        try await TestServer.run(stateDirectory: directory, configure: configure) { api, _ in
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.status == .ok, "\(verify)")
            #expect(verify.json["intact"].bool == false, "\(verify)")
            let problems = verify.json["problems"].array
            #expect(
                problems.contains { ($0["detail"].string ?? "").contains("the witness \(witness.path)") }, "\(verify)")
        }
    }
}
