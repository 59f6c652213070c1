import AirlockCore
import CEL
import Foundation
import Testing

/// Packs and values shared by the tests.
enum Fixtures {
    /// A small pack: two resources, every field type, business hours, thresholds. Rules and tests
    /// are appended by each test.
    static let base = """
        policy: test-pack
        classes: [public, internal, financial, pii, restricted]
        business_hours: { days: [mon-fri], from: "09:00", to: "17:00", utc_offset: "+02:00" }
        tiers:
          medium: { from_score: 30, pool: reviewers, sla: 4h }
          high: { from_score: 60, pool: approvers, count: 2, sla: 1h, escalate_to: leads }
          block: { from_score: 100 }
        lists:
          blocked: [acc-1, acc-2]
          limits: [10, 2.5]
        resources:
          pay:
            operations: [create]
            fields:
              amount: { type: number, required: true, min: 0, max: 1e12, class: financial }
              to: { type: string, required: true, pattern: "^acc-[0-9]+$", track_new: true, class: internal }
              note: { type: string, max_length: 5 }
              count: { type: integer, min: 1, max: 10 }
              kind: { type: string, enum: [a, b] }
              flag: { type: boolean }
              extra: { type: any }
          person:
            operations: [update, delete]
            reversible: true
            fields:
              name: { type: string, class: pii }
              ssn: { type: string, class: restricted }
              level: { type: integer }

        """

    /// The base pack with `rules` (YAML list items, indented by two) appended.
    static func pack(rules: String = "", extra: String = "") throws -> PolicyPack {
        let text = base + (rules.isEmpty ? "" : "rules:\n" + rules + "\n") + extra
        return try PolicyPack.load(name: "test.yaml", text: text)
    }

    /// The problems of a pack that must not load.
    static func problems(_ text: String, file: String = "bad.yaml") -> [PolicyProblem] {
        do {
            _ = try PolicyPack.load(name: file, text: text)
            Issue.record("the pack loaded")
            return []
        } catch {
            return error.problems
        }
    }

    static let agent = Actor(id: "agent-1", kind: .agent, roles: ["bot"])
    static let human = Actor(id: "ana", kind: .human)
    /// Monday 2025-01-06 12:00 UTC (14:00 at +02:00: business hours).
    static let monday = Timestamp(seconds: 1_736_164_800)

    static func transfer(_ amount: Double, to: String = "acc-9") -> Mutation {
        Mutation(resource: "pay", operation: .create, changes: ["amount": .double(amount), "to": .string(to)])
    }

    /// The example pack, read from `examples/policies`.
    static func examplePack() throws -> PolicyPack {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/policies")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        let files = try names.map { name in
            (name, try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
        }
        return try PolicyPack.load(files: files)
    }
}
