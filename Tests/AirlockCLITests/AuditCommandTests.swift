import AirlockCore
import AirlockStore
import Foundation
import GRDB
import AirlockTestSupport
import Testing

/// `airlock audit …` run as a person (or an auditor's script) would: the built binary on a state
/// directory.
@Suite("airlock audit commands", .sharedResources)
struct AuditCommandTests {
    /// A state directory holding three mutations' worth of history and a checkpoint every 5 records.
    private func stateDirectory() async throws -> (TemporaryDirectory, StateDirectory) {
        let directory = try TemporaryDirectory()
        let state = StateDirectory(directory.url.appendingPathComponent("state"))
        let store = try SQLiteStore.open(state) { $0.checkpointEvery = 5 }
        var time = Date(timeIntervalSince1970: 1_764_000_000)
        for index in 0..<3 {
            time += 60
            try await store.create("m-\(index)", at: time)
            try await store.move("m-\(index)", .received, .approved, at: time)
            try await store.move("m-\(index)", .approved, .executing, at: time)
            try await store.move("m-\(index)", .executing, .executed, at: time)
        }
        try await store.close()
        return (directory, state)
    }

    @Test("verify passes on an intact log and names the first bad seq of a tampered one")
    func verify() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let intact = try await CommandRunner.airlock(["audit", "verify", "--state-dir", state.url.path])
        #expect(intact.status == 0)
        #expect(intact.output.hasPrefix("audit log OK: 12 records, 2 checkpoints with valid signatures"))

        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in try db.execute(sql: "UPDATE audit_log SET payload = '{}' WHERE seq = 7") }
        try queue.close()
        let tampered = try await CommandRunner.airlock(["audit", "verify", "--state-dir", state.url.path])
        #expect(tampered.status == 1)
        #expect(
            tampered.output.hasPrefix(
                "audit log FAILED: first bad seq 7: edited: its content no longer matches its hash"))

        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
        let otherKey = try await CommandRunner.airlock([
            "audit", "key", "--state-dir", directory.url.appendingPathComponent("other").path,
        ]).output
        #expect(key != otherKey)
        let pinned = try await CommandRunner.airlock(
            [
                "audit", "verify", "--state-dir", state.url.path, "--public-key",
                otherKey.trimmingCharacters(in: .newlines),
            ])
        #expect(pinned.status == 1 && pinned.output.contains("signature mismatch"))

        let missing = try await CommandRunner.airlock([
            "audit", "verify", "--state-dir", directory.url.appendingPathComponent("none").path,
        ])
        #expect(missing.status != 0)
    }

    @Test("key prints the public key as hex, base64 or id")
    func key() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let expected = AuditPublicKey(try AuditSigningKey.load(from: state.signingKeyURL).publicKey)
        let arguments = ["audit", "key", "--state-dir", state.url.path]
        #expect(try await CommandRunner.airlock(arguments).output == expected.hex + "\n")
        #expect(try await CommandRunner.airlock(arguments + ["--format", "base64"]).output == expected.base64 + "\n")
        #expect(try await CommandRunner.airlock(arguments + ["--format", "id"]).output == expected.keyID + "\n")
    }

    @Test("prove, then verify-proof with the public key alone; an altered proof fails")
    func proveAndVerifyProof() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
            .trimmingCharacters(in: .newlines)
        let proof = try await CommandRunner.airlock(["audit", "prove", "6", "--state-dir", state.url.path])
        #expect(proof.status == 0)
        let file = directory.url.appendingPathComponent("proof.json")
        try Data(proof.output.utf8).write(to: file)

        let fromFile = try await CommandRunner.airlock(["audit", "verify-proof", file.path, "--public-key", key])
        #expect(fromFile.status == 0)
        #expect(fromFile.output.hasPrefix("proof OK: record 6 (approved, mutation m-1, by engine"))
        #expect(fromFile.output.contains("is in the log of 10 records"))
        let fromStdin = try await CommandRunner.airlock(
            ["audit", "verify-proof", "--public-key", key], input: Data(proof.output.utf8))
        #expect(fromStdin.status == 0)

        let altered = proof.output.replacingOccurrences(of: #""actor" : "engine""#, with: #""actor" : "mallory""#)
        #expect(altered != proof.output)
        let failed = try await CommandRunner.airlock(
            ["audit", "verify-proof", "--public-key", key], input: Data(altered.utf8))
        #expect(failed.status == 1 && failed.output.hasPrefix("proof FAILED: record 6"))

        let beyond = try await CommandRunner.airlock(["audit", "prove", "12", "--state-dir", state.url.path])
        #expect(beyond.status != 0 && beyond.errorOutput.contains("airlock audit checkpoint"))
        #expect(try await CommandRunner.airlock(["audit", "checkpoint", "--state-dir", state.url.path]).status == 0)
        #expect(try await CommandRunner.airlock(["audit", "prove", "12", "--state-dir", state.url.path]).status == 0)
    }

    @Test("export streams JSON lines that the documented Python script re-verifies on its own")
    func exportAndPython() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
            .trimmingCharacters(in: .newlines)
        let file = directory.url.appendingPathComponent("audit.jsonl")
        #expect(
            try await CommandRunner.airlock([
                "audit", "export", "--state-dir", state.url.path, "--format", "jsonl", "-o", file.path,
            ]).status == 0)
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 14)
        #expect(lines[5].contains(#""tree_size":5"#) && lines[5].contains(#""type":"checkpoint""#))

        let python = URL(fileURLWithPath: "/usr/bin/env")
        let script = CommandRunner.packageRoot.appendingPathComponent("scripts/verify_audit.py").path
        let selfTest = try await CommandRunner.run(python, ["python3", script, "--self-test"])
        #expect(selfTest.status == 0, "\(selfTest.output)\(selfTest.errorOutput)")
        let intact = try await CommandRunner.run(python, ["python3", script, file.path, "--public-key", key])
        #expect(intact.status == 0, "\(intact.output)\(intact.errorOutput)")
        #expect(intact.output.hasPrefix("OK: 12 records (seq 1..12), 2 checkpoints, 2 signatures valid, root "))

        let tampered = directory.url.appendingPathComponent("tampered.jsonl")
        let edited = lines.map { line in
            line.contains(#""seq":3,"#)
                ? line.replacingOccurrences(of: #""actor":"engine""#, with: #""actor":"mallory""#) : String(line)
        }
        try Data((edited.joined(separator: "\n") + "\n").utf8).write(to: tampered)
        let failed = try await CommandRunner.run(python, ["python3", script, tampered.path, "--public-key", key])
        #expect(failed.status == 1 && failed.output.hasPrefix("FAIL seq 3: edited"))

        let since = try await CommandRunner.airlock(["audit", "export", "--state-dir", state.url.path, "--since", "11"])
        #expect(since.output.split(separator: "\n").count == 2)
        let sinceTime = try await CommandRunner.airlock(
            ["audit", "export", "--state-dir", state.url.path, "--since", "1970-01-01T00:00:00Z"])
        #expect(sinceTime.output.split(separator: "\n").count == 14)
    }

    @Test("show prints a mutation's timeline")
    func show() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let shown = try await CommandRunner.airlock(["audit", "show", "m-1", "--state-dir", state.url.path])
        #expect(shown.status == 0)
        #expect(
            shown.output.hasPrefix(
                "mutation m-1 · payments.transfer create · by agent-7\nstatus   executed (revision 3)"))
        for kind in ["submitted", "approved", "executing", "executed"] {
            #expect(shown.output.contains(" \(kind) "), "\(kind)")
        }
        let unknown = try await CommandRunner.airlock(["audit", "show", "m-9", "--state-dir", state.url.path])
        #expect(unknown.status != 0 && unknown.errorOutput.contains("there is no mutation m-9"))
    }
}

/// The history the audit commands read: what a gateway records for a transfer it lets through.
extension Store {
    /// Creates a mutation as `received`, submitted by `agent-7`.
    fileprivate func create(_ id: String, at time: Date) async throws {
        var change = StoreChange(at: time)
        change.createMutation(
            NewMutation(
                id: id, resource: "payments.transfer", operation: "create", actorID: "agent-7",
                document: #"{"changes":{"amount":120.0,"to_account":"acc-991"},"id":"\#(id)"}"#),
            audit: AuditEntry(kind: .submitted, actor: "agent-7", payload: #"{"input":"as submitted"}"#))
        _ = try await apply(change)
    }

    /// Moves a mutation, as decided by the engine.
    fileprivate func move(_ id: String, _ from: MutationStatus, _ to: MutationStatus, at time: Date) async throws {
        var change = StoreChange(at: time)
        let kind = AuditKind(rawValue: to.rawValue)
        change.transition(
            id, from: from, to: to, setting: MutationUpdate(),
            audit: AuditEntry(kind: kind, actor: "engine", payload: #"{"kind":"\#(kind.rawValue)"}"#))
        _ = try await apply(change)
    }
}
