import CEL
import Foundation
import MCP

/// The gateway offered to a model as MCP tools: `propose_mutation`, `get_mutation` and
/// `list_resources`. The principal is the backend's (the session's credentials), never an
/// argument.
public enum GatewayTools {
    /// What `propose_mutation` takes.
    static let allowedArguments: Set<String> = ["resource", "operation", "target", "targets", "changes", "context", "idempotency_key"]

    /// The longest `get_mutation` wait (the API's long-poll limit).
    public static let maximumWait = 60.0

    /// An MCP server for one session, answering through `backend`.
    public static func makeServer(backend: any MCPBackend, version: String = "1") async -> Server {
        let server = Server(
            name: "airlock", version: version, title: "Airlock",
            instructions: """
                Airlock is the gateway for changes to real data. Propose every change with propose_mutation; \
                low-risk changes are approved at once, risky ones wait for human approval (follow them with \
                get_mutation and tell the user), some are refused. list_resources says what may be changed.
                """,
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: try await tools(backend))
        }
        await server.withMethodHandler(CallTool.self) { params in
            try await call(params.name, JSONBridge.cel(params.arguments), backend)
        }
        return server
    }

    /// The three tools, with the input schema of `propose_mutation` made from the active pack.
    static func tools(_ backend: any MCPBackend) async throws -> [Tool] {
        let catalog = try await backend.resources()
        var variants: [CEL.Value] = []
        var names: [CEL.Value] = []
        for resource in catalog["items"].listValue {
            guard let name = resource.member("name").stringValue else { continue }
            names.append(.string(name))
            variants.append(
                .map(CELMap([
                    (.string("properties"), .map(CELMap([
                        (.string("resource"), .map(CELMap([(.string("const"), .string(name))]))),
                        (.string("operation"), .map(CELMap([(.string("enum"), resource.member("operations"))]))),
                        (.string("changes"), resource.member("changes")),
                    ]))),
                ])))
        }
        let propose: CEL.Value = .map(CELMap([
            (.string("type"), .string("object")),
            (.string("properties"), .map(CELMap([
                (.string("resource"), .map(CELMap([(.string("type"), .string("string")), (.string("enum"), .list(names))]))),
                (.string("operation"), .map(CELMap([(.string("type"), .string("string")), (.string("enum"), .list([.string("create"), .string("update"), .string("delete")]))]))),
                (.string("target"), .map(CELMap([(.string("type"), .string("string")), (.string("description"), .string("The id of the record to update or delete."))]))),
                (.string("targets"), .map(CELMap([(.string("type"), .string("array")), (.string("items"), .map(CELMap([(.string("type"), .string("string"))]))), (.string("description"), .string("The ids of the records of a bulk change."))]))),
                (.string("changes"), .map(CELMap([(.string("type"), .string("object")), (.string("description"), .string("The new values, by field (see list_resources)."))]))),
                (.string("idempotency_key"), .map(CELMap([(.string("type"), .string("string")), (.string("description"), .string("Repeating a call with the same key never proposes twice."))]))),
            ]))),
            (.string("required"), .list([.string("resource"), .string("operation")])),
            (.string("oneOf"), .list(variants)),
        ]))
        let get: CEL.Value = .map(CELMap([
            (.string("type"), .string("object")),
            (.string("properties"), .map(CELMap([
                (.string("id"), .map(CELMap([(.string("type"), .string("string"))]))),
                (.string("wait_seconds"), .map(CELMap([
                    (.string("type"), .string("number")), (.string("minimum"), .int(0)), (.string("maximum"), .double(maximumWait)),
                    (.string("description"), .string("While the mutation waits for approval, wait up to this long for it to be decided (at most 60 s); returns at once otherwise."))
                ]))),
            ]))),
            (.string("required"), .list([.string("id")])),
        ]))
        return [
            Tool(
                name: "propose_mutation",
                description: """
                    Propose a change to real data through Airlock. The answer is the decision: executed or approved \
                    at once (low risk), approved while a person reviews it (medium), waiting for human approval \
                    (high: say so to the user and follow it with get_mutation), or refused with the reasons.
                    """,
                inputSchema: JSONBridge.mcp(propose),
                annotations: .init(destructiveHint: true, idempotentHint: false)),
            Tool(
                name: "get_mutation",
                description: "A proposed mutation's state: waiting, approved, executed, rejected (with the reviewer's note), expired. With wait_seconds, returns as soon as it changes.",
                inputSchema: JSONBridge.mcp(get),
                annotations: .init(readOnlyHint: true)),
            Tool(
                name: "list_resources",
                description: "The resources that may be changed, their operations and their fields' types, ranges, allowed values and data classes.",
                inputSchema: .object(["type": .string("object"), "properties": .object([:])]),
                annotations: .init(readOnlyHint: true)),
        ]
    }

    static func call(_ name: String, _ arguments: CEL.Value, _ backend: any MCPBackend) async throws -> CallTool.Result {
        switch name {
        case "propose_mutation":
            var mutation = CELMap()
            var key: String?
            if case .map(let map) = arguments {
                // Who proposes is the session's principal: an argument naming anyone is refused,
                // as is any other argument the gateway would not read.
                let unknown = map.keys.compactMap { key -> String? in
                    guard case .string(let name) = key else { return "\(key)" }
                    return allowedArguments.contains(name) ? nil : name
                }
                if !unknown.isEmpty {
                    return error(
                        "propose_mutation does not take \(unknown.sorted().joined(separator: ", ")); it takes \(allowedArguments.sorted().joined(separator: ", ")). The proposer is always the session's principal.")
                }
                for (field, value) in map.entries {
                    if case .string("idempotency_key") = field {
                        key = value.stringValue
                    } else {
                        mutation[field] = value
                    }
                }
            }
            let answer = try await backend.propose(.map(mutation), idempotencyKey: key)
            return result(answer)
        case "get_mutation":
            guard let id = arguments.member("id").stringValue, !id.isEmpty else {
                return error("get_mutation needs an id (a string, as propose_mutation answered it)")
            }
            var wait: Double?
            switch arguments.member("wait_seconds") {
            case .int(let x): wait = Double(x)
            case .uint(let x): wait = Double(x)
            case .double(let x): wait = x
            case .null: wait = nil
            default: return error("wait_seconds must be a number of seconds from 0 to 60")
            }
            if let seconds = wait, !(0...maximumWait).contains(seconds) {
                return error("wait_seconds must be from 0 to 60 (got \(seconds))")
            }
            // A wait ends as soon as the mutation no longer waits for approval (at once when it
            // does not).
            return result(try await backend.mutation(id, waitSeconds: wait, from: wait == nil ? nil : "pending_review"))
        case "list_resources":
            let answer = try await backend.resources()
            guard answer.isSuccess else { return error(DecisionText.problem(answer)) }
            return CallTool.Result(
                content: [.text(text: answer.json.jsonString(prettyPrinted: true), annotations: nil, _meta: nil)],
                structuredContent: Optional<MCP.Value>.some(JSONBridge.mcp(answer.json)), isError: false)
        default:
            return error("there is no tool '\(name)' (tools: propose_mutation, get_mutation, list_resources)")
        }
    }

    /// A mutation's view as a tool result: the summary first, then the view's JSON. A refusal
    /// of the API (a problem) is a tool error; a decision (blocked and rejected included) is not.
    static func result(_ answer: MCPAnswer) -> CallTool.Result {
        guard answer.isSuccess else {
            return error(DecisionText.problem(answer))
        }
        let summary = DecisionText.summary(answer.json)
        return CallTool.Result(
            content: [
                .text(text: summary, annotations: nil, _meta: nil),
                .text(text: answer.json.jsonString(prettyPrinted: true), annotations: nil, _meta: nil),
            ],
            structuredContent: Optional<MCP.Value>.some(JSONBridge.mcp(answer.json)), isError: false)
    }

    static func error(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }
}
