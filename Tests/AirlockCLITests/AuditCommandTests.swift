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
        let other = StateDirectory(directory.url.appendingPathComponent("other"))
        try await SQLiteStore.open(other).close()
        let otherKey = try await CommandRunner.airlock(["audit", "key", "--state-dir", other.url.path]).output
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

        // A key that cannot be used says nothing about the log: exit 2, not 1 ("FAILED").
        let unreadable = "@" + directory.url.appendingPathComponent("no-such-key").path
        for bad in ["zz", "", unreadable] {
            let verify = try await CommandRunner.airlock(["audit", "verify", "--state-dir", state.url.path, "--public-key", bad])
            #expect(verify.status == 2, "verify --public-key '\(bad)': \(verify)")
            #expect(verify.errorOutput.contains("--public-key"), "\(verify)")
            let proof = try await CommandRunner.airlock(["audit", "verify-proof", "--public-key", bad], input: Data("{}".utf8))
            #expect(proof.status == 2, "verify-proof --public-key '\(bad)': \(proof)")
        }
    }

    @Test("key reads only: a state directory without a key is an error, and nothing is made there")
    func keyOfMissingDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let typo = directory.url.appendingPathComponent("stat")
        let result = try await CommandRunner.airlock(["audit", "key", "--state-dir", typo.path])
        #expect(result.status == 1, "\(result)")
        #expect(result.output.isEmpty && result.errorOutput.contains("no audit signing key"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: typo.path), "audit key made the directory it was asked to read")
        try FileManager.default.createDirectory(at: typo, withIntermediateDirectories: true)
        #expect(try await CommandRunner.airlock(["audit", "key", "--state-dir", typo.path]).status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: typo.path).isEmpty, "audit key wrote a key")
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
        #expect(lines.count == 15)
        #expect(lines[0].contains(#""checkpoint_every":1000"#) && lines[0].contains(#""size":12"#))
        #expect(lines[0].contains(#""type":"head""#) && lines[0].contains(#""checkpoint_size":10"#))
        #expect(lines[6].contains(#""tree_size":5"#) && lines[6].contains(#""type":"checkpoint""#))

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
        #expect(since.output.split(separator: "\n").count == 3)
        let sinceTime = try await CommandRunner.airlock(
            ["audit", "export", "--state-dir", state.url.path, "--since", "1970-01-01T00:00:00Z"])
        #expect(sinceTime.output.split(separator: "\n").count == 15)
    }

    /// Runs the offline verifier.
    private func python(_ arguments: [String]) async throws -> (status: Int32, output: String, errorOutput: String) {
        let script = CommandRunner.packageRoot.appendingPathComponent("scripts/verify_audit.py").path
        let result = try await CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script] + arguments)
        return (result.status, result.output, result.errorOutput)
    }

    /// Exports `state` to `name` in `directory`, returning the file and its lines.
    private func export(_ state: StateDirectory, to name: String, in directory: TemporaryDirectory, config: String? = nil)
        async throws -> (URL, [String])
    {
        let file = directory.url.appendingPathComponent(name)
        let location = config.map { ["--config", $0] } ?? ["--state-dir", state.url.path]
        let result = try await CommandRunner.airlock(["audit", "export", "-o", file.path] + location)
        #expect(result.status == 0, "\(result.errorOutput)")
        return (file, try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init))
    }

    @Test("an export of a truncated database says so to the offline verifier: head marker, deleted checkpoints, witness")
    func truncatedExport() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
            .trimmingCharacters(in: .newlines)
        let witness = directory.url.appendingPathComponent("witness.jsonl")
        let config = directory.url.appendingPathComponent("airlock.yaml")
        try Data(
            "state_dir: \(state.url.path)\naudit: { checkpoint_every: 5, witness: \(witness.path) }\n".utf8
        ).write(to: config)
        // The log was written before the witness was configured: seed it as the server does at start.
        let store = try SQLiteStore.open(state, createIfMissing: false)
        try await AuditWitness(url: witness).catchUp(with: store, publicKey: AuditPublicKey(store.configuration.signingKey!.publicKey))
        try await store.close()
        #expect(try AuditWitness(url: witness).read().checkpoints.map(\.treeSize) == [5, 10])

        let (_, intact) = try await export(state, to: "intact.jsonl", in: directory, config: config.path)
        let ok = try await python([directory.url.appendingPathComponent("intact.jsonl").path, "--public-key", key, "--witness", witness.path])
        #expect(ok.status == 0, "\(ok.output)\(ok.errorOutput)")
        #expect(intact[0].contains(#""checkpoint_every":5"#))
        #expect(ok.output.contains("2 witnessed checkpoints found"))

        // Only the unsigned tail cut off: the head marker still says 12.
        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq > 11") }
        let (cut, _) = try await export(state, to: "cut.jsonl", in: directory, config: config.path)
        let cutResult = try await python([cut.path, "--public-key", key])
        #expect(cutResult.status == 1 && cutResult.output.hasPrefix("FAIL seq 12: truncated"), "\(cutResult.output)")

        // Records 8… and the checkpoint at 10 deleted, the marker fixed: within checkpoint_every
        // of the checkpoint at 5, so only the witness shows it.
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM audit_log WHERE seq > 7")
            try db.execute(sql: "DELETE FROM audit_checkpoints WHERE tree_size > 7")
            var frontier = MerkleFrontier()
            for hash in try Data.fetchAll(db, sql: "SELECT hash FROM audit_log ORDER BY seq") {
                frontier.append(recordHash: try #require(AuditHash(bytes: hash)))
            }
            try db.execute(
                sql: """
                    UPDATE audit_head SET size = 7, checkpoint_size = 5, frontier = ?,
                        last_hash = (SELECT hash FROM audit_log WHERE seq = 7),
                        last_time_us = (SELECT time_us FROM audit_log WHERE seq = 7)
                    """, arguments: [Data(frontier.serialized)])
        }
        try queue.close()
        let (hidden, hiddenLines) = try await export(state, to: "hidden.jsonl", in: directory, config: config.path)
        #expect(hiddenLines[0].contains(#""size":7"#))
        let alone = try await python([hidden.path, "--public-key", key])
        #expect(alone.status == 0, "\(alone.output)")
        let witnessed = try await python([hidden.path, "--public-key", key, "--witness", witness.path])
        #expect(witnessed.status == 1, "\(witnessed.output)")
        #expect(witnessed.output.hasPrefix("FAIL seq 8: truncated: the export ends at seq 7, but the witness holds a checkpoint over 10 records signed at "), "\(witnessed.output)")
        let verify = try await CommandRunner.airlock(["audit", "verify", "--config", config.path])
        #expect(verify.status == 1, "\(verify.output)")
        #expect(verify.output.contains("first bad seq 8: truncated"), "\(verify.output)")
        #expect(verify.output.contains("witness \(witness.path) holds a checkpoint over 10 records signed at"), "\(verify.output)")

        // The same database, exported under a smaller checkpoint_every than it was signed at,
        // shows the missing checkpoints as the store does (more unsigned records than N).
        try Data("state_dir: \(state.url.path)\naudit: { checkpoint_every: 2 }\n".utf8).write(to: config)
        let (strict, _) = try await export(state, to: "strict.jsonl", in: directory, config: config.path)
        let missing = try await python([strict.path, "--public-key", key])
        #expect(missing.status == 1 && missing.output.hasPrefix("FAIL seq 6: checkpoint missing"), "\(missing.output)")
    }

    @Test("every exported field is covered: an edited time, a time going back, an extra field fail; a bad key exits 2")
    func exportFieldsAndKey() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
            .trimmingCharacters(in: .newlines)
        let (_, lines) = try await export(state, to: "audit.jsonl", in: directory)
        func check(_ edited: [String]) async throws -> (status: Int32, output: String, errorOutput: String) {
            let file = directory.url.appendingPathComponent("edited.jsonl")
            try Data((edited.joined(separator: "\n") + "\n").utf8).write(to: file)
            return try await python([file.path, "--public-key", key])
        }
        let seq4 = try #require(lines.firstIndex { $0.contains(#""seq":4,"#) })
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[seq4].utf8)) as? [String: Any])
        let time = try #require(record["time"] as? String)
        let micros = try #require((record["time_us"] as? NSNumber)?.int64Value)

        // time_us is in the hash.
        var edited = lines
        edited[seq4] = lines[seq4].replacingOccurrences(of: "\(micros)", with: "\(micros + 1)")
        let hashed = try await check(edited)
        #expect(hashed.status == 1 && hashed.output.hasPrefix("FAIL seq 4: edited: its content no longer matches its hash"), "\(hashed.output)")
        // time, for people, must be time_us.
        edited = lines
        edited[seq4] = lines[seq4].replacingOccurrences(of: time, with: "2020-01-01T00:00:00.000000Z")
        let shown = try await check(edited)
        #expect(shown.status == 1 && shown.output.hasPrefix("FAIL seq 4: edited: its time 2020-01-01"), "\(shown.output)")
        // A field no hash covers.
        edited = lines
        edited[seq4] = lines[seq4].replacingOccurrences(of: #""type":"record""#, with: #""note":"x","type":"record""#)
        let extra = try await check(edited)
        #expect(extra.status == 1 && extra.output.contains("malformed"), "\(extra.output)")

        // Times going back along seq, in a log rewritten with valid hashes (no checkpoints to catch it).
        let rewritten = try await rewrittenWithTimeGoingBack(directory)
        let back = try await python([rewritten.path])
        #expect(back.status == 1 && back.output.hasPrefix("FAIL seq 2: edited: its time is earlier"), "\(back.output)")

        // A bad --public-key is bad usage.
        let intact = directory.url.appendingPathComponent("audit.jsonl").path
        // An empty one too: `--public-key "$(airlock audit key …)"` whose inner command printed
        // nothing must not turn the signature checks off.
        for bad in ["not-a-key", "@" + directory.url.appendingPathComponent("no-such-file").path, String(key.dropLast(2)), ""] {
            let result = try await python([intact, "--public-key", bad])
            #expect(result.status == 2, "\(bad): \(result.output)\(result.errorOutput)")
            #expect(result.errorOutput.contains("--public-key"))
        }
    }

    /// A log of two records whose second is earlier than its first, written with valid hashes
    /// (as someone rewriting the database could).
    private func rewrittenWithTimeGoingBack(_ directory: TemporaryDirectory) async throws -> URL {
        let state = StateDirectory(directory.url.appendingPathComponent("back"))
        let store = try SQLiteStore.open(state)
        try await store.create("m-1", at: Date(timeIntervalSince1970: 1_764_000_000))
        try await store.move("m-1", .received, .approved, at: Date(timeIntervalSince1970: 1_764_000_000))
        let records = try await store.auditRecords(after: 0, limit: 10)
        try await store.close()
        var second = records[1]
        second.timeMicros = records[0].timeMicros - 1
        second.hash = second.computedHash
        let file = directory.url.appendingPathComponent("back.jsonl")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for record in [records[0], second] {
            var line = String(decoding: try encoder.encode(record), as: UTF8.self)
            line.removeLast()
            text += line + #","type":"record"}"# + "\n"
        }
        try Data(text.utf8).write(to: file)
        return file
    }

    @Test("consistency prints an RFC 6962 proof that verify-proof and the Python script check; a wrong old root fails")
    func consistency() async throws {
        let (directory, state) = try await stateDirectory()
        defer { directory.remove() }
        let key = try await CommandRunner.airlock(["audit", "key", "--state-dir", state.url.path]).output
            .trimmingCharacters(in: .newlines)
        let proof = try await CommandRunner.airlock(["audit", "consistency", "3", "--state-dir", state.url.path])
        #expect(proof.status == 0, "\(proof.errorOutput)")
        #expect(proof.output.contains(#""format" : "airlock-audit-consistency-proof/v1""#))
        let file = directory.url.appendingPathComponent("consistency.json")
        try Data(proof.output.utf8).write(to: file)
        let store = try SQLiteStore.open(state, createIfMissing: false)
        let hashes = try await store.auditRecords(after: 0, limit: 3).map(\.hash)
        try await store.close()
        let oldRoot = MerkleTree.root(leafHashes: hashes[...]).hex

        let swift = try await CommandRunner.airlock(["audit", "verify-proof", file.path, "--public-key", key, "--old-root", oldRoot])
        #expect(swift.status == 0, "\(swift.output)")
        #expect(swift.output.hasPrefix("proof OK: the log of 3 records"), "\(swift.output)")
        let py = try await python(["--consistency", file.path, "--public-key", key, "--old-root", oldRoot])
        #expect(py.status == 0 && py.output.hasPrefix("OK: the log of 3 records is a prefix of the log of 10 records"), "\(py.output)")

        let wrongRoot = String(repeating: "0", count: 64)
        #expect(try await CommandRunner.airlock(["audit", "verify-proof", file.path, "--public-key", key, "--old-root", wrongRoot]).status == 1)
        #expect(try await python(["--consistency", file.path, "--public-key", key, "--old-root", wrongRoot]).status == 1)
        // A path node altered.
        let path = proof.output.components(separatedBy: "\"consistency_path\" : [\n    \"")[1].prefix(64)
        let altered = proof.output.replacingOccurrences(of: String(path), with: String(repeating: "1", count: 64))
        try Data(altered.utf8).write(to: file)
        #expect(try await CommandRunner.airlock(["audit", "verify-proof", file.path, "--public-key", key]).status == 1)
        #expect(try await python(["--consistency", file.path, "--public-key", key]).status == 1)

        let beyond = try await CommandRunner.airlock(["audit", "consistency", "11", "--state-dir", state.url.path])
        #expect(beyond.status != 0 && beyond.errorOutput.contains("airlock audit checkpoint"), "\(beyond.errorOutput)")
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
