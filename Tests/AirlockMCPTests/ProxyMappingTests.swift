import AirlockMCP
import CEL
import Testing

@Suite struct ProxyMappingTests {
    static let example = """
        wait_seconds: 45
        unmapped: pass
        tools:
          get_balance: pass
          update_customer_email:
            resource: crm.customer
            operation: update
            target: customer_id
            fields: { email: email }
        """

    @Test("a mapping reads its wait, its unmapped rule and its tools")
    func reads() throws {
        let mapping = try ProxyMapping.parse(Self.example, file: "m.yaml")
        #expect(mapping.waitSeconds == 45)
        #expect(mapping.passUnmapped)
        guard case .pass? = mapping.tools["get_balance"] else { Issue.record("get_balance is not pass"); return }
        guard case .mutation(let resource, let operation, let target, let fields)? = mapping.tools["update_customer_email"] else {
            Issue.record("update_customer_email is not a mutation")
            return
        }
        #expect(resource == "crm.customer" && operation == "update" && target == "customer_id" && fields == ["email": "email"])
        #expect(!ProxyMapping().passUnmapped && ProxyMapping().waitSeconds == 300, "refuse and 300 s by default")
    }

    @Test(
        "a bad mapping is refused with its place and reason",
        arguments: [
            ("wait_seconds: 0\n", "m.yaml:1:15: wait_seconds must be a number of seconds from 1 to 3600"),
            ("unmapped: maybe\n", "m.yaml:1:11: unmapped must be refuse or pass"),
            ("tools:\n  t: { operation: create }\n", "m.yaml:2:6: tool 't' needs a resource"),
            ("tools:\n  t: { resource: r, operation: update }\n", "m.yaml:2:6: tool 't': an update needs target"),
            ("tools:\n  t: { resource: r, operation: upsert }\n", "m.yaml:2:32: tool 't': operation must be create, update or delete"),
            ("colour: red\n", "m.yaml:1:1: unknown key 'colour'"),
            ("tools:\n  t: { resource: r, operation: create, fields: { a: x, b: x } }\n", "m.yaml:2:6: tool 't': two arguments map to the field x"),
            ("tools:\n  t: { resource: r, target: id, fields: { id: id } }\n", "m.yaml:2:6: tool 't': id is the target and a field at once"),
        ])
    func refuses(_ text: String, _ expected: String) {
        #expect {
            _ = try ProxyMapping.parse(text, file: "m.yaml")
        } throws: { error in
            "\(error)".hasPrefix(expected)
        }
    }

    @Test("a call becomes a mutation; an argument outside the mapping or a missing target refuses it")
    func mutation() throws {
        let arguments = try Value(json: #"{"customer_id": "cus-42", "email": "ana@example.com"}"#)
        let built = try ProxyMapping.mutation(
            resource: "crm.customer", operation: "update", target: "customer_id", fields: ["email": "email"], arguments: arguments
        ).get()
        #expect(CanonicalText.of(built) == #"{"changes":{"email":"ana@example.com"},"operation":"update","resource":"crm.customer","target":"cus-42"}"#)
        let extra = try Value(json: #"{"customer_id": "cus-42", "email": "a@b.c", "ssn": "1"}"#)
        guard case .failure(let refusal) = ProxyMapping.mutation(
            resource: "crm.customer", operation: "update", target: "customer_id", fields: ["email": "email"], arguments: extra)
        else { Issue.record("an unmapped argument was accepted"); return }
        #expect(refusal.message.contains("'ssn' is not mapped"))
        guard case .failure(let missing) = ProxyMapping.mutation(
            resource: "crm.customer", operation: "update", target: "customer_id", fields: ["email": "email"],
            arguments: try Value(json: #"{"email": "a@b.c"}"#))
        else { Issue.record("a call without its target was accepted"); return }
        #expect(missing.message.contains("lacks customer_id"))
    }
}

/// Keys sorted, for comparing JSON regardless of the order a map was built in.
enum CanonicalText {
    static func of(_ value: Value) -> String {
        switch value {
        case .map(let map):
            let parts = map.entries.compactMap { key, item -> (String, String)? in
                guard case .string(let name) = key else { return nil }
                return (name, of(item))
            }.sorted { $0.0 < $1.0 }
            return "{" + parts.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        default:
            return value.jsonString()
        }
    }
}

@Suite struct DecisionTextTests {
    @Test("a held mutation says it waits, for whom, until when, and how to follow it")
    func held() throws {
        let view = try Value(json: """
            {"id": "mut_1", "status": "pending_review", "tier": "high", "score": 30,
             "reasons": [{"rule": "large-transfer", "message": "two finance approvals"}],
             "approvals": {"groups": [{"pool": "finance", "count": 2, "approved": 1}], "deadline": "2026-12-06T17:00:00.000Z",
                           "received": [{"reviewer": "bob"}], "rejections": []}}
            """)
        let text = DecisionText.summary(view)
        #expect(text.contains("Mutation mut_1: pending_review (tier high, score 30)."))
        #expect(text.contains("It waits for human approval: finance: 1 of 2 approvals so far; deadline 2026-12-06T17:00:00.000Z."))
        #expect(text.contains("- large-transfer: two finance approvals"))
        #expect(text.contains(#"get_mutation {"id": "mut_1", "wait_seconds": 60}"#))
    }

    @Test("an ended mutation says how it ended: executed, rejected with the note, expired")
    func ended() throws {
        let rejected = try Value(json: #"{"id": "m", "status": "rejected", "tier": "high", "approvals": {"received": [], "rejections": [{"reviewer": "bob", "note": "duplicate"}]}}"#)
        #expect(DecisionText.summary(rejected).contains(#"It was rejected by bob: "duplicate". It will not be executed."#))
        let expired = try Value(json: #"{"id": "m", "status": "expired", "tier": "high"}"#)
        #expect(DecisionText.summary(expired).contains("It expired: nobody approved it before the deadline."))
        let executed = try Value(json: #"{"id": "m", "status": "executed", "tier": "high", "approvals": {"received": [{"reviewer": "bob"}, {"reviewer": "carol"}]}}"#)
        #expect(DecisionText.summary(executed).contains("It was executed, approved by bob, carol."))
        let blocked = try Value(json: #"{"id": "m", "status": "rejected", "tier": "block", "reasons": [{"rule": "frozen-account", "message": "frozen"}]}"#)
        #expect(DecisionText.summary(blocked).contains("It is blocked by the policy"))
    }
}
