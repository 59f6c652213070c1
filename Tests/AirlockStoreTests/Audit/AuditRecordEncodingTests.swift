import AirlockStore
import Foundation
import Testing

/// The canonical encoding's test vectors; docs/audit.md shows the same values, and
/// `scripts/verify_audit.py` reproduces them.
@Suite("Audit record encoding")
struct AuditRecordEncodingTests {
    static let first = AuditRecord(
        seq: 1, timeMicros: 1_764_000_000_000_000, kind: .submitted, mutationID: "m-1", actor: "agent-7",
        payload: #"{"amount":120.0,"to_account":"acc-991"}"#, policyVersion: nil, previousHash: .zero,
        hash: AuditHash(hex: "600a2592dcf8353bb2d96e0d954649279f1d1f7297710fec877b443417451c0b")!)
    static let second = AuditRecord(
        seq: 2, timeMicros: 1_764_000_000_250_000, kind: .decided, mutationID: "m-1", actor: "policy",
        payload: #"{"reasons":["large-transfer"],"tier":"high"}"#, policyVersion: "pv-3f2a",
        previousHash: first.hash,
        hash: AuditHash(hex: "cfbab1a8753ae7a0ea262b4a5798f3507f36c2ae6bdcf96a84ee2702c4725688")!)

    @Test("records hash to the documented test vectors")
    func vectors() {
        #expect(Self.first.computedHash == Self.first.hash)
        #expect(Self.second.computedHash == Self.second.hash)
        var frontier = MerkleFrontier()
        frontier.append(recordHash: Self.first.hash)
        frontier.append(recordHash: Self.second.hash)
        #expect(frontier.root.hex == "a2488f7f4c694757aa795982bb4d8bcc545ad0e02a3b300ba676fd23c6ba830e")
    }

    @Test("every field is covered: changing any one changes the hash")
    func everyFieldCounts() {
        var variants: [AuditRecord] = []
        for change in 0..<8 {
            var record = Self.second
            switch change {
            case 0: record.seq = 3
            case 1: record.timeMicros += 1
            case 2: record.kind = .approved
            case 3: record.mutationID = nil
            case 4: record.actor = "policy "
            case 5: record.policyVersion = nil
            case 6: record.payload = #"{"reasons":["large-transfer"],"tier":"low"}"#
            default: record.previousHash = .zero
            }
            variants.append(record)
        }
        let hashes = Set(variants.map(\.computedHash) + [Self.second.hash])
        #expect(hashes.count == 9)
        // An absent optional field differs from an empty one.
        var empty = Self.second
        empty.policyVersion = ""
        var absent = Self.second
        absent.policyVersion = nil
        #expect(empty.computedHash != absent.computedHash)
    }

    @Test("the JSON form keeps the payload's exact text and round-trips")
    func json() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(Self.second), as: UTF8.self)
        #expect(text.contains(#""time":"2025-11-24T16:00:00.250000Z""#))
        #expect(text.contains(#""time_us":1764000000250000"#))
        #expect(text.contains(#""payload":"{\"reasons\":[\"large-transfer\"],\"tier\":\"high\"}""#))
        #expect(text.contains(#""mutation_id":"m-1""#) && text.contains(#""prev_hash":"600a2592"#))
        let decoded = try JSONDecoder().decode(AuditRecord.self, from: Data(text.utf8))
        #expect(decoded == Self.second && decoded.computedHash == decoded.hash)
        let none = String(decoding: try encoder.encode(Self.first), as: UTF8.self)
        #expect(none.contains(#""policy_version":null"#))
    }

    @Test("times print as RFC 3339 with microseconds and parse back")
    func times() {
        #expect(AuditTime.rfc3339(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(AuditTime.rfc3339(micros: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(AuditTime.rfc3339(micros: 951_782_400_000_001) == "2000-02-29T00:00:00.000001Z")
        for micros: Int64 in [0, -1, 1_764_000_000_250_000, 951_782_400_000_001, 4_102_444_799_999_999] {
            #expect(AuditTime.micros(rfc3339: AuditTime.rfc3339(micros: micros)) == micros)
        }
        #expect(AuditTime.micros(rfc3339: "2025-11-24T17:00:00+01:00") == 1_764_000_000_000_000)
        #expect(AuditTime.micros(rfc3339: "2025-11-24T16:00:00.25Z") == 1_764_000_000_250_000)
        #expect(AuditTime.micros(rfc3339: "2025-11-24") == nil)
        #expect(AuditTime.micros(rfc3339: "2025-13-24T16:00:00Z") == nil)
    }
}
