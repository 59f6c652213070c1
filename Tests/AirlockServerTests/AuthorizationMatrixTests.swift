import AirlockCore
import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import GRDB
import HTTPTypes
import InMemoryLogging
import Logging
import NIOCore
import Synchronization
import Testing
import Yams

/// Issue 18's authorization contract as one table: every route, every kind of caller and, for a
/// mutation, the caller's own and another's, with the exact status each call gets. The table is
/// the contract the OpenAPI summaries, the README and docs/console.md state; the tests make every
/// call of it against a live server, and hold that no answer and no log line carries a bearer key.
@Suite(.sharedResources) struct AuthorizationMatrixTests {
    /// The contract. A line is a call; its columns are the callers in the order of ``Caller`` (the
    /// bars only group them): the status each gets — 401 and 403 are refusals, anything else is let
    /// through, and is the exact success — or `-` where there is no such call. A mutation's line
    /// names who submitted it: in that submitter's column the mutation is its own, in every other
    /// column another's. A call let through that changes what it acts on gets a mutation (or
    /// session) of its own; the refused calls of a line share one that no call changed, so no
    /// answer depends on the cells before it (a refusal changes nothing, and a call wrongly let
    /// through fails in its own cell).
    static let contract: [Line] = [
        // no key, unknown key | agent-7, agent-9 (owned by carol) | alice bob carol dave erin frank | root auditor
        Line("200 200 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/healthz"),
        Line("200 200 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/readyz"),
        Line("200 200 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/openapi.yaml"),
        Line("200 200 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/metrics"),

        // MCP: any principal opens a session; a session answers only to the key that opened it.
        Line("401 401 | 200 200 | 200 200 200 200 200 200 | 200 200", .post, "/mcp", mcpClient, body: initialize),
        Line("  -   - | 202 202 | 202 202 202 202 202 202 | 202 202", .post, "/mcp", ownSession, body: initialized),
        Line("401 401 | 202 403 | 403 403 403 403 403 403 | 403 403", .post, "/mcp", agentSession, body: initialized),
        // Its own GET is the session's event stream, which stays open.
        Line("401 401 |   - 403 | 403 403 403 403 403 403 | 403 403", .get, "/mcp", agentSession),
        Line("401 401 | 200 403 | 403 403 403 403 403 403 | 403 403", .delete, "/mcp", agentSession),

        // The gateway's state and what may be proposed: any principal. Freezing: admins.
        Line("401 401 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/v1/system"),
        Line("401 401 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/v1/resources"),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/system/freeze", body: #"{"on": false}"#),

        // The audit log: auditors and admins.
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 200", .get, "/v1/audit"),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 200", .get, "/v1/audit/verify"),

        // Policies: reviewers, admins and auditors read them; only admins change them.
        Line("401 401 | 403 403 | 200 200 200 200 200 200 | 200 200", .get, "/v1/policies"),
        Line(
            "401 401 | 403 403 | 403 403 403 403 403 403 | 201 403", .put, "/v1/policies/{name}", body: uploadedPack,
            contentType: "application/yaml"),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/policies/{version}/activate"),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/policies/{version}/shadow"),
        Line("401 401 | 403 403 | 200 200 200 200 200 200 | 200 200", .get, "/v1/policies/shadow"),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 403", .delete, "/v1/policies/shadow", runningShadow),

        // Submitting: the submitter role. Listing: anyone; without reviewer, admin or auditor, only
        // its own mutations. The review queue: reviewers.
        Line("401 401 | 201 201 | 201 403 403 403 403 403 | 403 403", .post, "/v1/mutations", body: Mutations.lowTitle),
        Line("401 401 | 200 200 | 200 200 200 200 200 200 | 200 200", .get, "/v1/mutations"),
        Line("401 401 | 200 403 | 200 200 200 200 200 200 | 200 200", .get, "/v1/mutations", query: "?actor=agent-7"),
        Line("401 401 | 403 403 | 200 200 200 200 200 200 | 403 403", .get, "/v1/reviews"),

        // Reading one: its submitter, reviewers of its pools, admins, auditors.
        Line("401 401 | 200 403 | 200 200 200 403 403 403 | 200 200", .get, "/v1/mutations/{id}", read(.highDelete, by: .agent7)),
        Line("401 401 | 403 403 | 200 200 200 403 403 403 | 200 200", .get, "/v1/mutations/{id}", read(.highDelete, by: .alice)),
        Line("401 401 | 403 200 | 200 200 200 403 403 403 | 200 200", .get, "/v1/mutations/{id}", read(.highDelete, by: .agent9)),
        Line("401 401 | 200 403 | 403 403 403 403 403 403 | 200 200", .get, "/v1/mutations/{id}", read(.lowTitle, by: .agent7)),
        Line("401 401 | 200 403 | 200 200 200 403 200 200 | 200 200", .get, "/v1/mutations/{id}", read(.mediumEmail, by: .agent7)),
        Line(
            "401 401 | 200 403 | 200 200 200 403 403 403 | 200 200", .get, "/v1/mutations/{id}", query: "?wait=1&status=approved",
            read(.highDelete, by: .agent7)),

        // Voting: a reviewer of a pool the review needs, never the submitter nor anyone up its
        // owner chain; a reviewer not cleared for a field may still vote.
        Line("401 401 | 403 403 | 200 200 200 403 403 403 | 403 403", .post, "/v1/mutations/{id}/approve", fresh(.highDelete, by: .agent7), body: "{}"),
        Line("401 401 | 403 403 | 403 200 200 403 403 403 | 403 403", .post, "/v1/mutations/{id}/approve", fresh(.highDelete, by: .alice), body: "{}"),
        Line("401 401 | 403 403 | 200 200 403 403 403 403 | 403 403", .post, "/v1/mutations/{id}/approve", fresh(.highDelete, by: .agent9), body: "{}"),
        Line("401 401 | 403 403 | 200 200 200 403 200 200 | 403 403", .post, "/v1/mutations/{id}/approve", fresh(.mediumEmail, by: .agent7), body: "{}"),
        Line("401 401 | 403 403 | 200 200 200 403 403 403 | 403 403", .post, "/v1/mutations/{id}/reject", fresh(.highDelete, by: .agent7), body: note),
        Line("401 401 | 403 403 | 403 200 200 403 403 403 | 403 403", .post, "/v1/mutations/{id}/reject", fresh(.highDelete, by: .alice), body: note),
        Line("401 401 | 403 403 | 200 200 403 403 403 403 | 403 403", .post, "/v1/mutations/{id}/reject", fresh(.highDelete, by: .agent9), body: note),

        // Asking for changes: as voting, and only for a reviewer cleared for every changed field.
        Line(
            "401 401 | 403 403 | 201 201 201 403 403 403 | 403 403", .post, "/v1/mutations/{id}/request-changes",
            fresh(.highRepricing, by: .agent7), body: newPrice),
        Line(
            "401 401 | 403 403 | 403 201 201 403 403 403 | 403 403", .post, "/v1/mutations/{id}/request-changes",
            fresh(.highRepricing, by: .alice), body: newPrice),
        Line(
            "401 401 | 403 403 | 201 201 403 403 403 403 | 403 403", .post, "/v1/mutations/{id}/request-changes",
            fresh(.highRepricing, by: .agent9), body: newPrice),
        Line(
            "401 401 | 403 403 | 201 201 201 403 201 403 | 403 403", .post, "/v1/mutations/{id}/request-changes",
            fresh(.highBulkAddress, by: .agent7), body: newAddress),

        // Reporting the outcome of a change the caller executes: its submitter or an admin.
        Line("401 401 | 200 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/mutations/{id}/outcome", fresh(.lowTitle, by: .agent7), body: executed),
        Line("401 401 | 403 403 | 200 403 403 403 403 403 | 200 403", .post, "/v1/mutations/{id}/outcome", fresh(.lowTitle, by: .alice), body: executed),
        Line("401 401 | 403 200 | 403 403 403 403 403 403 | 200 403", .post, "/v1/mutations/{id}/outcome", fresh(.lowTitle, by: .agent9), body: executed),
        Line(
            "401 401 | 200 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/mutations/{id}/outcome",
            fresh(.approvedRepricing, by: .agent7), body: executed),

        // Rolling back an executed change: admins, or reviewers of its pools (a change without a
        // review has none). Run on a server whose executor makes the changes.
        Line("401 401 | 403 403 | 200 200 200 403 200 200 | 200 403", .post, "/v1/mutations/{id}/rollback", fresh(.executedEmail, by: .agent7), body: note),
        Line("401 401 | 403 403 | 200 200 200 403 200 200 | 200 403", .post, "/v1/mutations/{id}/rollback", fresh(.executedEmail, by: .alice), body: note),
        Line("401 401 | 403 403 | 200 200 200 403 200 200 | 200 403", .post, "/v1/mutations/{id}/rollback", fresh(.executedEmail, by: .agent9), body: note),
        Line("401 401 | 403 403 | 403 403 403 403 403 403 | 200 403", .post, "/v1/mutations/{id}/rollback", fresh(.executedNotes, by: .agent7), body: note),
    ]

    /// The routes whose lines need executors, run on a server of their own: an executed change
    /// and its rollback count in `system.rollback_rate_1h`, which would put later decisions of a
    /// shared server under review.
    static let executingRoutes: Set<String> = ["/v1/mutations/{id}/rollback"]

    @Test func everyCallIsAnsweredAsTheContractSaysAndNoKeyIsEchoedOrLogged() async throws {
        let lines = Self.contract.filter { !Self.executingRoutes.contains($0.route) }
        // The lines are independent (each cell that changes something has its own mutation or
        // session), so several run at once.
        let (_, logs) = try await Self.serve { fixture in try await Self.check(lines, with: fixture, width: 4) }
        Self.expectNoKey(in: logs)
    }

    @Test func everyRollbackIsAnsweredAsTheContractSaysAndNoKeyIsEchoedOrLogged() async throws {
        let lines = Self.contract.filter { Self.executingRoutes.contains($0.route) }
        // One line at a time: a rollback must not land in the hour before a change without review
        // is decided (``Proposal/executedNotes``).
        let (_, logs) = try await Self.serve(executors: true) { fixture in try await Self.check(lines, with: fixture, width: 1) }
        Self.expectNoKey(in: logs)
    }

    @Test func theTableCoversEveryServedRouteAndTheDocumentAgreesWithIt() async throws {
        for line in Self.contract {
            #expect(line.answers.count == Caller.allCases.count, "\(line): \(line.answers.count) columns")
            #expect(line.answers.allSatisfy { $0 == nil || (200..<600).contains($0!) }, "\(line): a column is not a status")
        }
        try await TestServer.with { api, parts in
            let served = Set(buildRouter(parts.gateway).routes.map { "\($0.method) \($0.path)" })
            let tabled = Set(Self.contract.map { "\($0.method) \($0.route)" })
            #expect(served.subtracting(tabled).isEmpty, "served routes without a line: \(served.subtracting(tabled).sorted())")
            #expect(tabled.subtracting(served).isEmpty, "lines of routes not served: \(tabled.subtracting(served).sorted())")

            // Every answer of the table is one the document lists for its operation, and an
            // operation needs no key (`security: []`) exactly when the table lets a caller without
            // one through.
            let document = try #require(try Yams.load(yaml: try await api.get("/openapi.yaml", key: nil).text) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            var calledWithoutKey: Set<String> = []
            for line in Self.contract {
                let operation = try #require(
                    (paths[line.route] as? [String: Any])?[line.method.rawValue.lowercased()] as? [String: Any], "\(line)")
                let responses = try #require(operation["responses"] as? [String: Any], "\(line)")
                for status in Set(line.answers.compactMap { $0 }).sorted() {
                    #expect(responses[String(status)] != nil, "\(line): the document does not list \(status)")
                }
                let needsNoKey = (operation["security"] as? [Any])?.isEmpty == true
                if let anonymous = line.answers.first, let anonymous {
                    #expect(needsNoKey == (anonymous != 401), "\(line): \(anonymous) without a key, but the document's security says otherwise")
                    calledWithoutKey.insert("\(line.method) \(line.route)")
                }
            }
            #expect(calledWithoutKey == tabled, "routes no line calls without a key: \(tabled.subtracting(calledWithoutKey).sorted())")
        }
    }

    @Test func aCallAnsweredOtherwiseThanTheTableSaysFails() async throws {
        // A line claiming that bob may read the audit log must fail: the check is not vacuous.
        let wrong = Line("401 401 | 403 403 | 403 200 403 403 403 403 | 200 200", .get, "/v1/audit")
        try await withKnownIssue {
            _ = try await Self.serve { fixture in try await Self.check([wrong], with: fixture, width: 1) }
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("/v1/audit, as bob: expected 200 (let through), got 403") }
        }
    }
}

// MARK: - The callers

extension AuthorizationMatrixTests {
    /// The columns: who calls.
    enum Caller: String, CaseIterable, Sendable, CustomStringConvertible {
        /// No `Authorization` header.
        case anonymous = "no key"
        /// A bearer key no principal holds.
        case stranger = "an unknown key"
        /// An agent: submitter.
        case agent7 = "agent-7"
        /// An agent carol is accountable for: submitter.
        case agent9 = "agent-9"
        /// Reviewer in every pool, and submitter.
        case alice
        /// Reviewers in every pool (carol owns agent-9).
        case bob, carol
        /// Reviewer in `finance` only.
        case dave
        /// Reviewer in `privacy` only.
        case erin
        /// Reviewer in `finance` and `privacy`, cleared only for `public` and `internal` data.
        case frank
        /// Admin.
        case root
        /// Auditor.
        case auditor

        var key: String? {
            switch self {
            case .anonymous: nil
            case .stranger: AuthorizationMatrixTests.strangerKey
            case .agent7: TestServer.Key.agent
            case .agent9: AuthorizationMatrixTests.ownedAgentKey
            case .alice: TestServer.Key.alice
            case .bob: TestServer.Key.bob
            case .carol: TestServer.Key.carol
            case .dave: TestServer.Key.dave
            case .erin: TestServer.Key.erin
            case .frank: TestServer.Key.frank
            case .root: TestServer.Key.root
            case .auditor: TestServer.Key.auditor
            }
        }

        /// Who is accountable for the caller.
        var owner: Caller? { self == .agent9 ? .carol : nil }

        var description: String { rawValue }
    }

    static let strangerKey = "key-nobody-holds-this"
    static let ownedAgentKey = "key-agent-9"

    /// Every bearer key of the run, by whose it is: none may appear in an answer or a log line.
    static let keys: [(owner: Caller, key: String)] = Caller.allCases.compactMap { caller in caller.key.map { (owner: caller, key: $0) } }

    /// The test configuration's principals, and agent-9: an agent carol is accountable for (the
    /// test configuration itself has no owner chains).
    static func addOwnedAgent(_ configuration: inout GatewayConfiguration) {
        let agent = Principal(id: "agent-9", kind: .agent, roles: [.submitter], owner: "carol")
        // A SHA-256 in hex is always a valid key_sha256.
        try! configuration.principals.add(agent, keySHA256: PrincipalDirectory.hash(key: ownedAgentKey))
    }
}

// MARK: - The lines

extension AuthorizationMatrixTests {
    /// One call of the contract and the status each caller gets.
    struct Line: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        /// The route as the router names it (`/v1/mutations/{id}`).
        var route: String
        var query: String
        var subject: Subject
        var body: String?
        var contentType: String
        /// One per ``Caller``, in order; `nil` where there is no such call.
        var answers: [Int?]

        init(
            _ grid: String, _ method: HTTPRequest.Method, _ route: String, query: String = "", _ subject: Subject = nothing,
            body: String? = nil, contentType: String = "application/json"
        ) {
            self.method = method
            self.route = route
            self.query = query
            self.subject = subject
            self.body = body
            self.contentType = contentType
            // A column that is neither `-` nor a number reads as 0, which no answer matches.
            answers = grid.split(separator: " ").filter { $0 != "|" }.map { $0 == "-" ? nil : Int($0) ?? 0 }
        }

        var description: String {
            "\(method) \(route)\(query)" + (subject.name.isEmpty ? "" : " on \(subject.name)")
        }
    }

    /// What a line's call acts on, and which cells share it.
    struct Subject: Sendable {
        var name: String
        var sharing: Sharing
        var make: @Sendable (Fixture, Caller) async throws -> Target
    }

    /// Which cells of a line act on the same subject.
    enum Sharing: Sendable {
        /// All: the calls only read it.
        case line
        /// The refused ones; each call let through has its own, as it changes it.
        case refusals
        /// None: each caller has its own.
        case none
    }

    /// The mutation id and the headers a call uses.
    struct Target: Sendable {
        var id = ""
        var headers: HTTPFields = [:]
    }

    static let nothing = Subject(name: "", sharing: .line) { _, _ in Target() }

    /// A mutation submitted once for the line (its calls only read it).
    static func read(_ proposal: Proposal, by submitter: Caller) -> Subject {
        Subject(name: "\(proposal.name) by \(submitter)", sharing: .line) { fixture, _ in
            Target(id: try await fixture.submit(proposal, by: submitter))
        }
    }

    /// A mutation submitted for each call let through, and one for the refused calls.
    static func fresh(_ proposal: Proposal, by submitter: Caller) -> Subject {
        Subject(name: "\(proposal.name) by \(submitter)", sharing: .refusals) { fixture, _ in
            Target(id: try await fixture.submit(proposal, by: submitter))
        }
    }

    static let mcpClient = Subject(name: "initialize", sharing: .line) { _, _ in Target(headers: mcpHeaders) }

    /// A session the caller opened itself.
    static let ownSession = Subject(name: "its own session", sharing: .none) { fixture, caller in
        Target(headers: try await fixture.mcpSession(of: caller))
    }

    /// A session agent-7 opened (the DELETE ends it).
    static let agentSession = Subject(name: "agent-7's session", sharing: .refusals) { fixture, _ in
        Target(headers: try await fixture.mcpSession(of: .agent7))
    }

    /// The active version running in shadow, started by root.
    static let runningShadow = Subject(name: "a shadow running", sharing: .refusals) { fixture, _ in
        try await fixture.startShadow()
        return Target()
    }

    static let note = #"{"note": "not what the customer asked for"}"#
    static let newPrice = #"{"changes": {"price": 10.5}, "note": "not below 10"}"#
    static let newAddress = #"{"changes": {"address": "Bahnhofstrasse 2"}, "note": "the street number is 2"}"#
    static let executed = #"{"status": "executed"}"#

    static let initialize = """
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, \
        "clientInfo": {"name": "authorization-matrix", "version": "1"}}}
        """
    static let initialized = #"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#
    static let mcpHeaders: HTTPFields = [.accept: "application/json, text/event-stream", .contentType: "application/json"]

    /// A pack an admin uploads: every catalog change waits for an ops lead (the policy tests' own).
    static var uploadedPack: String { PolicyTests.strictPack }
}

// MARK: - The mutations

extension AuthorizationMatrixTests {
    /// A mutation a line acts on, and the status it has once it is ready to be acted on.
    struct Proposal: Sendable {
        var name: String
        /// The request body; `{n}` becomes a number of its own (a customer row of its own).
        var body: String
        var status: String
        /// Approved by two reviewers of its pool, neither its submitter nor its owner, first.
        var approvedFirst = false
        /// Seconds the clock moves before each submission. Six keep a submitter under the pack's
        /// burst-rate rule (over 30 in a minute, which would raise tiers and change pools) with
        /// four lines running at once and a revision per request for changes.
        var pace: TimeInterval = 6

        /// A customer delete: high, `support-leads` × 1 (alice, bob, carol).
        static let highDelete = Proposal(name: "a customer delete (support-leads)", body: Mutations.highDelete, status: "pending_review")
        /// A product title: low, no review, so no pools; the caller executes it.
        static let lowTitle = Proposal(name: "a product title (no review)", body: Mutations.lowTitle, status: "approved")
        /// An email address (pii): medium, gone ahead, a parallel review by `privacy` (alice, bob,
        /// carol, erin, and frank, who is not cleared for pii).
        static let mediumEmail = Proposal(
            name: "an email edit (privacy, after the fact)", body: Mutations.mediumEmail, status: "approved")
        /// 21 prices: high, `pricing` × 2 (alice, bob, carol).
        static let highRepricing = Proposal(name: "21 prices (pricing × 2)", body: Mutations.highRepricing, status: "pending_review")
        /// The same, approved: the caller is to execute it and report.
        static let approvedRepricing = Proposal(
            name: "21 prices, approved", body: Mutations.highRepricing, status: "approved", approvedFirst: true)
        /// 100 addresses (pii): high, `privacy` × 1 and `support-leads` × 2.
        static let highBulkAddress = Proposal(
            name: "100 addresses (privacy and support-leads)", body: Mutations.highBulkAddress, status: "pending_review")
        /// An email address of a customer row of its own, executed by the server (medium, `privacy`).
        static let executedEmail = Proposal(
            name: "an executed email edit (privacy)",
            body: #"{"resource": "crm.customer", "operation": "update", "target": "cus-r{n}", "changes": {"email": "zoe@example.com"}}"#,
            status: "executed")
        /// A note on a customer row of its own, executed by the server without review. Decided an
        /// hour after the last rollback: with one in the hour, `system.rollback_rate_1h` puts every
        /// change under review (the pack's rollback-spike rule), and its pools would let reviewers
        /// roll it back.
        static let executedNotes = Proposal(
            name: "an executed note (no review)",
            body: #"{"resource": "crm.customer", "operation": "update", "target": "cus-r{n}", "changes": {"notes": "called back"}}"#,
            status: "executed", pace: 3_601)
    }

    /// Customer rows `cus-r1`… for the executed mutations, one each.
    static let customerRows = 100
}

// MARK: - Running the table

extension AuthorizationMatrixTests {
    /// The server of a run and what its cells need from it.
    final class Fixture: Sendable {
        let api: APIClient
        let clock: ManualClock
        /// The active policy version (`{version}` in a route).
        let policyVersion: String
        private let submissions = Mutex(0)

        init(api: APIClient, clock: ManualClock, policyVersion: String) {
            self.api = api
            self.clock = clock
            self.policyVersion = policyVersion
        }

        /// Submits `proposal` as `submitter`, readies it, and returns its id.
        func submit(_ proposal: Proposal, by submitter: Caller) async throws -> String {
            clock.advance(by: proposal.pace)
            let number = submissions.withLock { count in
                count += 1
                return count
            }
            let body = proposal.body.replacingOccurrences(of: "{n}", with: String(number))
            var reply = try await api.submit(body, key: submitter.key ?? "")
            guard reply.status == .created, let id = reply.json["id"].string else {
                throw SetupFailure("\(proposal.name) by \(submitter) was not recorded: \(reply)")
            }
            if proposal.approvedFirst {
                for reviewer in [Caller.alice, .bob, .carol].filter({ $0 != submitter && $0 != submitter.owner }).prefix(2) {
                    reply = try await api.approve(id, key: reviewer.key ?? "")
                }
            }
            guard reply.json["status"].string == proposal.status else {
                throw SetupFailure("\(proposal.name) by \(submitter) is not \(proposal.status): \(reply)")
            }
            return id
        }

        /// Opens an MCP session as `caller`; the headers that use it.
        func mcpSession(of caller: Caller) async throws -> HTTPFields {
            let reply = try await api.send(
                .post, "/mcp", key: caller.key, body: ByteBuffer(string: AuthorizationMatrixTests.initialize),
                headers: AuthorizationMatrixTests.mcpHeaders)
            guard reply.status == .ok, let session = reply.headers[Self.sessionID] else {
                throw SetupFailure("\(caller) could not open an MCP session: \(reply)")
            }
            var headers = AuthorizationMatrixTests.mcpHeaders
            headers[Self.sessionID] = session
            headers[Self.protocolVersion] = "2025-06-18"
            return headers
        }

        static let sessionID = HTTPField.Name("Mcp-Session-Id")!
        static let protocolVersion = HTTPField.Name("MCP-Protocol-Version")!

        /// Runs the active version in shadow, as root.
        func startShadow() async throws {
            let reply = try await api.send(.post, "/v1/policies/\(policyVersion)/shadow", key: TestServer.Key.root)
            guard reply.status == .ok else { throw SetupFailure("root could not start a shadow: \(reply)") }
        }
    }

    /// Preparing a cell failed: the server did not ready the mutation or session the cell needs.
    struct SetupFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts a server with agent-9 added (and, with `executors`, the demo database's executors
    /// over a customer row per executed mutation) and a logger that keeps every line, and runs
    /// `body`. Returns its value and what the server logged.
    static func serve<Value: Sendable>(
        executors: Bool = false, _ body: @Sendable (Fixture) async throws -> Value
    ) async throws -> (Value, [InMemoryLogHandler.Entry]) {
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let database = directory + "/" + DemoDatabase.fileName
        if executors { try createCustomers(at: database) }
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "airlock-test") { _ in logs }
        logger.logLevel = .trace
        let clock = ManualClock(TestServer.businessHours)
        let value = try await TestServer.run(
            stateDirectory: directory, clock: clock, logger: logger,
            configure: { configuration in
                addOwnedAgent(&configuration)
                if executors { configuration.executors = DemoDatabase.executorConfiguration(databasePath: database) }
            }
        ) { api, parts in
            try await body(Fixture(api: api, clock: clock, policyVersion: parts.pack.version))
        }
        return (value, logs.entries)
    }

    /// Records an issue for every log line that holds a key; the lines must include the
    /// decisions, so that there was something to look at.
    static func expectNoKey(in entries: [InMemoryLogHandler.Entry]) {
        #expect(entries.contains { "\($0.message)" == "decided" }, "the server logged its decisions")
        for entry in entries {
            let line = "\(entry.message) \(entry.metadata) \(entry.error.map { "\($0)" } ?? "")"
            for (owner, key) in keys where line.contains(key) {
                Issue.record("a log line holds the key of \(owner): \(entry.level) \(entry.message) \(entry.metadata)")
            }
        }
    }

    /// The demo database with a customer row of its own for each executed mutation.
    static func createCustomers(at path: String) throws {
        try DemoDatabase.create(at: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for n in 1...customerRows {
                try db.execute(
                    sql: "INSERT INTO customers (id, name, email, notes) VALUES (?, ?, ?, ?)",
                    arguments: ["cus-r\(n)", "Customer \(n)", "customer\(n)@example.com", "first contact"])
            }
        }
        try queue.close()
    }

    /// Makes each call of `lines` as each caller, `width` lines at a time. Returns the number of
    /// cells.
    @discardableResult
    static func check(_ lines: [Line], with fixture: Fixture, width: Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            var waiting = lines.makeIterator()
            for _ in 0..<width {
                guard let line = waiting.next() else { break }
                group.addTask { try await check(line, with: fixture) }
            }
            var cells = 0
            while let done = try await group.next() {
                cells += done
                if let line = waiting.next() { group.addTask { try await check(line, with: fixture) } }
            }
            return cells
        }
    }

    /// Makes the call of `line` as each caller, a GET also as HEAD, and checks the status, that a
    /// refusal is a problem (with a challenge for 401), and that no answer holds a key. Returns
    /// the number of cells.
    static func check(_ line: Line, with fixture: Fixture) async throws -> Int {
        var cells = 0
        var shared: Target?
        for (caller, expected) in zip(Caller.allCases, line.answers) {
            guard let expected else { continue }
            let refused = expected == 401 || expected == 403
            let shares = line.subject.sharing == .line || (line.subject.sharing == .refusals && refused)
            let target: Target
            if shares, let shared {
                target = shared
            } else {
                target = try await line.subject.make(fixture, caller)
                if shares { shared = target }
            }
            let path =
                line.route.replacingOccurrences(of: "{id}", with: target.id)
                .replacingOccurrences(of: "{version}", with: fixture.policyVersion)
                .replacingOccurrences(of: "{name}", with: "authorization-matrix") + line.query
            var headers = target.headers
            if line.body != nil, headers[.contentType] == nil { headers[.contentType] = line.contentType }
            let cell = "\(line), as \(caller)"
            let reply = try await fixture.api.send(
                line.method, path, key: caller.key, body: line.body.map { ByteBuffer(string: $0) }, headers: headers)
            #expect(
                reply.status.code == expected,
                "\(cell): expected \(describe(expected)), got \(reply.status.code): \(reply.text.prefix(300))")
            if refused, reply.status != .unauthorized, reply.status != .forbidden {
                shared = nil  // it may have changed: the next refusal gets one of its own, and fails only if it is wrong too
            }
            if refused {
                #expect(reply.contentType == "application/problem+json", "\(cell): \(reply.headers)")
            }
            if expected == 401 {
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(cell): \(reply.headers)")
            }
            expectNoKey(in: reply, cell)
            if line.method == .get {
                let head = try await fixture.api.send(.head, path, key: caller.key, headers: headers)
                #expect(head.status.code == expected, "HEAD \(cell): expected \(describe(expected)), got \(head.status.code)")
                #expect(head.text.isEmpty, "HEAD \(cell) has a body")
                expectNoKey(in: head, "HEAD \(cell)")
            }
            cells += 1
        }
        return cells
    }

    static func describe(_ status: Int) -> String {
        switch status {
        case 401: "401 (refused: no principal)"
        case 403: "403 (refused: not allowed)"
        default: "\(status) (let through)"
        }
    }

    /// Records an issue for every key in the body or a header value of `reply`.
    static func expectNoKey(in reply: Reply, _ cell: String) {
        let texts = [reply.text] + reply.headers.map(\.value)
        for (owner, key) in keys where texts.contains(where: { $0.contains(key) }) {
            Issue.record("\(cell): the answer holds the key of \(owner)")
        }
    }
}
