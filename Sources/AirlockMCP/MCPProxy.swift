import CEL
import Foundation
import Logging
import MCP

/// `airlock mcp proxy`: fronts an upstream MCP server. The upstream's tools are listed as the
/// proxy's own; each call of a mapped tool first becomes a mutation, and is forwarded only once
/// the gateway approved it — at once (low, medium), after the approvals arrive (high, waiting up
/// to the mapping's `wait_seconds`), or never (blocked, rejected, expired, not approved in time),
/// in which case the model gets a tool error that says why. The proxy executes what it forwards,
/// so it reports each outcome to the gateway.
public actor MCPProxy {
    let upstream: Client
    let backend: any MCPBackend
    let mapping: ProxyMapping
    let logger: Logger

    public init(upstream: Client, backend: any MCPBackend, mapping: ProxyMapping, logger: Logger) {
        self.upstream = upstream
        self.backend = backend
        self.mapping = mapping
        self.logger = logger
    }

    /// The MCP server the model talks to.
    public func makeServer() async -> Server {
        let server = Server(
            name: "airlock-proxy", version: "1", title: "Airlock (proxy)",
            instructions: "Every call that changes data passes through Airlock: risky ones wait for human approval or are refused with the reasons.",
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { [self] _ in
            ListTools.Result(tools: try await self.tools())
        }
        await server.withMethodHandler(CallTool.self) { [self] params in
            await self.call(params.name, params.arguments)
        }
        return server
    }

    /// The upstream's tools, every page.
    func tools() async throws -> [Tool] {
        var tools: [Tool] = []
        var cursor: String?
        repeat {
            let page = try await upstream.listTools(cursor: cursor)
            tools += page.tools
            cursor = page.nextCursor
        } while cursor != nil
        return tools
    }

    func call(_ name: String, _ arguments: [String: MCP.Value]?) async -> CallTool.Result {
        let rule = mapping.tools[name] ?? (mapping.passUnmapped ? .pass : nil)
        guard let rule else {
            logger.info("refused an unmapped tool", metadata: ["tool": "\(name)"])
            return GatewayTools.error(
                "Refused by Airlock: the tool '\(name)' is not mapped to a resource in the proxy's configuration, and unmapped tools are refused. Nothing was done.")
        }
        switch rule {
        case .pass:
            return await forward(name, arguments)
        case .mutation(let resource, let operation, let target, let fields):
            let proposal: CEL.Value
            switch ProxyMapping.mutation(resource: resource, operation: operation, target: target, fields: fields, arguments: JSONBridge.cel(arguments)) {
            case .success(let value): proposal = value
            case .failure(let refusal): return GatewayTools.error("Refused by Airlock: \(refusal.message).")
            }
            do {
                return try await decide(name, arguments, proposal)
            } catch {
                logger.error("the gateway could not be reached", metadata: ["tool": "\(name)", "error": "\(error)"])
                return GatewayTools.error("Refused: Airlock could not be reached (\(error)); the call was not forwarded.")
            }
        }
    }

    /// Proposes the mutation, waits for its decision as long as the mapping allows, and forwards
    /// the call only once it is approved.
    func decide(_ name: String, _ arguments: [String: MCP.Value]?, _ proposal: CEL.Value) async throws -> CallTool.Result {
        let proposed = try await backend.propose(proposal, idempotencyKey: nil)
        guard proposed.isSuccess else {
            return GatewayTools.error("Refused by Airlock: \(DecisionText.problem(proposed)). The call was not forwarded.")
        }
        var view = proposed.json
        let id = view.member("id").stringValue ?? ""
        logger.info("proposed", metadata: ["tool": "\(name)", "mutation_id": "\(id)", "status": "\(view.member("status").stringValue ?? "")"])
        let deadline = Date().addingTimeInterval(mapping.waitSeconds)
        while view.member("status").stringValue == "pending_review" {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                logger.info("gave up waiting", metadata: ["tool": "\(name)", "mutation_id": "\(id)"])
                return GatewayTools.error(
                    "Not done: the call waited \(Int(mapping.waitSeconds)) s for human approval and was not approved in that time, so it was not forwarded. "
                        + "The mutation stays open for its reviewers, but this call will not run it: to try again later, call the tool again.\n"
                        + DecisionText.summary(view))
            }
            let answer = try await backend.mutation(id, waitSeconds: min(GatewayTools.maximumWait, remaining), from: "pending_review")
            guard answer.isSuccess else { return GatewayTools.error(DecisionText.problem(answer)) }
            view = answer.json
        }
        switch view.member("status").stringValue ?? "" {
        case "approved":
            let result = await forward(name, arguments)
            let failed = result.isError == true
            let detail = result.content.compactMap { content -> String? in
                if case .text(let text, _, _) = content { return text }
                return nil
            }.joined(separator: "\n")
            // The call ran: whatever happens to the report, the model gets the upstream's result
            // (told "not forwarded", it might call again and run it twice).
            do {
                let report = try await backend.reportOutcome(id, executed: !failed, detail: failed ? String(detail.prefix(500)) : nil)
                if !report.isSuccess {
                    logger.error("the outcome was not recorded", metadata: ["mutation_id": "\(id)", "status": "\(report.status)"])
                }
            } catch {
                logger.error("the outcome could not be reported", metadata: ["mutation_id": "\(id)", "error": "\(error)"])
            }
            return result
        case "executed":
            return CallTool.Result(
                content: [.text(text: "Airlock executed this change itself (its own executor for the resource); the upstream tool was not called.\n" + DecisionText.summary(view), annotations: nil, _meta: nil)],
                isError: false)
        default:
            return GatewayTools.error("Refused by Airlock; the call was not forwarded.\n" + DecisionText.summary(view))
        }
    }

    /// Calls the upstream tool and hands its result back as it is.
    func forward(_ name: String, _ arguments: [String: MCP.Value]?) async -> CallTool.Result {
        do {
            // The whole result, structured content included (a client checks it against the
            // tool's output schema).
            let context: RequestContext<CallTool.Result> = try await upstream.callTool(name: name, arguments: arguments)
            return try await context.value
        } catch {
            return GatewayTools.error("The upstream tool '\(name)' failed: \(error)")
        }
    }
}
