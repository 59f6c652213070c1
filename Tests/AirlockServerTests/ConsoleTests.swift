import AirlockCore
import AirlockEngine
import AirlockServer
import AirlockTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// A browser's part, for tests that need no browser: a cookie jar, the forms' CSRF tokens.
struct ConsoleSession: Sendable {
    let api: APIClient
    var cookies: [String: String] = [:]
    /// The CSRF token of the last page that had one.
    var csrf: String?

    init(_ api: APIClient) {
        self.api = api
    }

    mutating func request(_ method: HTTPRequest.Method, _ path: String, form: [(String, String)]? = nil) async throws -> Reply {
        var headers = HTTPFields()
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: Self.encode(form))
        }
        let reply = try await api.send(method, path, key: nil, body: body, headers: headers)
        for line in reply.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let token = Self.field("_csrf", in: reply.text) { csrf = token }
        return reply
    }

    /// Signs in with a key through the sign-in form.
    mutating func signIn(_ key: String) async throws -> Reply {
        _ = try await request(.get, "/sign-in")
        return try await request(.post, "/sign-in", form: [("_csrf", csrf ?? ""), ("key", key)])
    }

    /// The value of a hidden field in a page.
    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func encode(_ form: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return form.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }
}

@Suite(.sharedResources) struct ConsoleTests {
    @Test("signing in sets an HttpOnly, SameSite=Strict, expiring session cookie; signing out ends the session")
    func signInAndOut() async throws {
        try await TestServer.with { api, _ in
            var browser = ConsoleSession(api)
            let signedOut = try await browser.request(.get, "/")
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location] == "/sign-in")

            let wrong = try await browser.signIn("not-a-key")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("That key is not known"))

            let reply = try await browser.signIn(TestServer.Key.bob)
            #expect(reply.status == .seeOther)
            let cookie = try #require(reply.headers[values: .setCookie].first { $0.hasPrefix("airlock_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Max-Age=28800"))
            #expect(!cookie.contains(TestServer.Key.bob), "the key itself is never in the cookie")
            let queue = try await browser.request(.get, "/")
            #expect(queue.status == .ok)
            #expect(queue.text.contains("Reviews waiting for you"))
            #expect(queue.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)

            // The old cookie is refused after signing out, even if a client keeps it.
            let kept = browser.cookies
            let out = try await browser.request(.post, "/sign-out", form: [("_csrf", browser.csrf ?? "")])
            #expect(out.status == .seeOther)
            #expect(browser.cookies["airlock_session"] == nil)
            browser.cookies = kept
            #expect(try await browser.request(.get, "/").status == .seeOther)
        }
    }

    @Test("a sign-in without the form's token, or a form post without or with a wrong CSRF token, is refused with 403")
    func csrf() async throws {
        try await TestServer.with { api, _ in
            let id = try await api.submit(Mutations.highDelete).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.request(.get, "/sign-in")
            let forged = try await browser.request(.post, "/sign-in", form: [("_csrf", "forged"), ("key", TestServer.Key.bob)])
            #expect(forged.status == .forbidden)
            #expect(try await browser.signIn(TestServer.Key.bob).status == .seeOther)
            let page = try await browser.request(.get, "/mutations/\(id)")
            let hash = try #require(ConsoleSession.field("content_hash", in: page.text))
            let version = try #require(ConsoleSession.field("policy_version", in: page.text))
            let without = try await browser.request(
                .post, "/mutations/\(id)/approve", form: [("content_hash", hash), ("policy_version", version)])
            #expect(without.status == .forbidden)
            let wrong = try await browser.request(
                .post, "/mutations/\(id)/approve", form: [("_csrf", "x" + (browser.csrf ?? "")), ("content_hash", hash), ("policy_version", version)])
            #expect(wrong.status == .forbidden)
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json["approvals"]["received"].array.count == 0)

            // Another session's token does not do either.
            var other = ConsoleSession(api)
            _ = try await other.signIn(TestServer.Key.carol)
            _ = try await other.request(.get, "/")
            let crossed = try await browser.request(
                .post, "/mutations/\(id)/approve", form: [("_csrf", other.csrf ?? ""), ("content_hash", hash), ("policy_version", version)])
            #expect(crossed.status == .forbidden)
        }
    }

    @Test("approving through the console records a vote bound to what the page showed; a stale page is refused")
    func voteBinding() async throws {
        try await TestServer.with { api, _ in
            let id = try await api.submit(Mutations.highDelete).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let page = try await browser.request(.get, "/mutations/\(id)")
            #expect(page.text.contains("id=\"approve\""))
            let hash = try #require(ConsoleSession.field("content_hash", in: page.text))
            let version = try #require(ConsoleSession.field("policy_version", in: page.text))
            let stale = try await browser.request(
                .post, "/mutations/\(id)/approve",
                form: [("_csrf", browser.csrf ?? ""), ("content_hash", String(hash.reversed())), ("policy_version", version)])
            #expect(stale.status == .conflict, "\(stale.text)")
            let vote = try await browser.request(
                .post, "/mutations/\(id)/approve", form: [("_csrf", browser.csrf ?? ""), ("content_hash", hash), ("policy_version", version), ("note", "checked")])
            #expect(vote.status == .seeOther)
            let after = try await browser.request(.get, "/mutations/\(id)")
            #expect(after.text.contains("id=\"flash\""))
            // Without an executor configured the caller executes: one approval leaves it `approved`.
            #expect(after.text.contains("<span id=\"status\" class=\"status status-approved\">approved</span>"), "\(after.text)")
            #expect(!after.text.contains("id=\"approve\""))
            let view = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json
            #expect(view["approvals"]["received"][0]["reviewer"].string == "bob")
            #expect(view["approvals"]["received"][0]["note"].string == "checked")
        }
    }

    @Test("a rejection needs a note; with one, the parallel review of a medium change is rejected")
    func rejectNeedsNote() async throws {
        try await TestServer.with { api, _ in
            let id = try await api.submit(Mutations.mediumEmail).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.erin)
            let page = try await browser.request(.get, "/mutations/\(id)")
            let form = [
                ("_csrf", browser.csrf ?? ""), ("content_hash", ConsoleSession.field("content_hash", in: page.text) ?? ""),
                ("policy_version", ConsoleSession.field("policy_version", in: page.text) ?? ""),
            ]
            let empty = try await browser.request(.post, "/mutations/\(id)/reject", form: form + [("note", "  ")])
            #expect(empty.status == .badRequest)
            let before = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json
            #expect(before["approvals"]["state"].string == "open")
            #expect(before["approvals"]["rejections"].array.isEmpty)
            let done = try await browser.request(.post, "/mutations/\(id)/reject", form: form + [("note", "the customer did not ask")])
            #expect(done.status == .seeOther)
            let after = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json
            #expect(after["approvals"]["state"].string == "rejected")
            #expect(after["approvals"]["rejections"][0]["note"].string == "the customer did not ask")
        }
    }

    @Test("the queue filters by pool, tier and resource")
    func queueFilters() async throws {
        try await TestServer.with { api, _ in
            let transfer = #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#
            let transferID = try await api.submit(transfer).json["id"].string ?? ""
            let deleteID = try await api.submit(Mutations.highDelete).json["id"].string ?? ""
            let emailID = try await api.submit(Mutations.mediumEmail).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let all = try await browser.request(.get, "/")
            for id in [transferID, deleteID, emailID] { #expect(all.text.contains("data-mutation=\"\(id)\""), "\(id)") }
            let finance = try await browser.request(.get, "/?pool=finance")
            #expect(finance.text.contains(transferID) && !finance.text.contains(deleteID) && !finance.text.contains(emailID))
            let medium = try await browser.request(.get, "/?tier=medium")
            #expect(medium.text.contains(emailID) && !medium.text.contains(transferID))
            let crm = try await browser.request(.get, "/?resource=crm.customer&tier=high")
            #expect(crm.text.contains(deleteID) && !crm.text.contains(emailID) && !crm.text.contains(transferID))
            let none = try await browser.request(.get, "/?resource=catalog.product")
            #expect(none.text.contains("id=\"queue-empty\""))
            // Dave, only in finance, sees only the transfer.
            var dave = ConsoleSession(api)
            _ = try await dave.signIn(TestServer.Key.dave)
            let his = try await dave.request(.get, "/")
            #expect(his.text.contains(transferID) && !his.text.contains(deleteID))
        }
    }

    @Test("requesting changes sends the edited values through the policy as a revision")
    func requestChanges() async throws {
        try await TestServer.with { api, _ in
            let transfer = #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#
            let id = try await api.submit(transfer).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let page = try await browser.request(.get, "/mutations/\(id)")
            #expect(page.text.contains("id=\"changes-form\""))
            let wrongType = try await browser.request(
                .post, "/mutations/\(id)/request-changes",
                form: [("_csrf", browser.csrf ?? ""), ("change.amount", "a lot"), ("note", "too much")])
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.text.contains("is not a value of the type amount had"))
            let sent = try await browser.request(
                .post, "/mutations/\(id)/request-changes",
                form: [
                    ("_csrf", browser.csrf ?? ""), ("change.amount", "900"), ("change.currency", "EUR"),
                    ("change.from_account", "acc-100200"), ("change.to_account", "acc-100001"), ("note", "split it"),
                ])
            #expect(sent.status == .seeOther)
            let location = try #require(sent.headers[.location])
            #expect(location != "/mutations/\(id)" && location.hasPrefix("/mutations/mut_"))
            let revision = try await api.get("/v1\(location)", key: TestServer.Key.root).json
            #expect(revision["revision_of"].string == id)
            #expect(revision["changes"]["amount"].double == 900)
            #expect(revision["tier"].string != "high", "the smaller amount is decided again by the policy")
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json["superseded_by"].string == revision["id"].string)
        }
    }

    @Test("a submitter sees no buttons on its own mutation")
    func submitterHasNoButtons() async throws {
        try await TestServer.with { api, _ in
            let id = try await api.submit(Mutations.highDelete, key: TestServer.Key.alice).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.alice)
            let page = try await browser.request(.get, "/mutations/\(id)")
            #expect(page.status == .ok)
            #expect(!page.text.contains("id=\"approve\""))
            #expect(!page.text.contains("id=\"reject\""))
            #expect(page.text.contains("You submitted this mutation"))
            let queue = try await browser.request(.get, "/")
            #expect(!queue.text.contains(id), "a submitter's own mutation is not in its queue")
        }
    }

    @Test("user-controlled text is escaped on every page that shows it")
    func escaping() async throws {
        try await TestServer.with { api, _ in
            let script = "<script>window.__pwned=1</script><b>bold</b>"
            let body = #"{"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"email": "x@example.com", "notes": "\#(script.replacingOccurrences(of: "/", with: "\\/"))"}}"#
            let id = try await api.submit(body).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            for path in ["/mutations/\(id)", "/"] {
                let page = try await browser.request(.get, path)
                #expect(page.status == .ok)
                #expect(!page.text.contains("<script>window"), "\(path) shows the script as markup")
                #expect(!page.text.contains("<b>bold"), "\(path)")
                #expect(page.text.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), "\(path)")
            }
            // A note is user text too.
            let page = try await browser.request(.get, "/mutations/\(id)")
            _ = try await browser.request(
                .post, "/mutations/\(id)/reject",
                form: [
                    ("_csrf", browser.csrf ?? ""), ("content_hash", ConsoleSession.field("content_hash", in: page.text) ?? ""),
                    ("policy_version", ConsoleSession.field("policy_version", in: page.text) ?? ""), ("note", "<img src=x onerror=alert(1)>"),
                ])
            let after = try await browser.request(.get, "/mutations/\(id)")
            #expect(!after.text.contains("<img src=x"))
            #expect(after.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    @Test("fields of a class the reviewer is not cleared for are masked, in the console and the API")
    func masking() async throws {
        try await TestServer.with { api, _ in
            let transfer = #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#
            let id = try await api.submit(transfer).json["id"].string ?? ""
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.frank)
            let page = try await browser.request(.get, "/mutations/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("class=\"masked after\""))
            #expect(!page.text.contains("25000"), "the amount (financial) is hidden everywhere on the page")
            #expect(!page.text.contains("acc-100200"), "the accounts (confidential) are hidden")
            #expect(page.text.contains("data-field=\"amount\""), "the fact that the amount changes is shown")
            let queue = try await browser.request(.get, "/")
            #expect(!queue.text.contains("25000"))
            let view = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.frank).json
            #expect(view["changes"]["amount"].isNull)
            #expect(view["masked_fields"].array.count == 4)
            // Nothing in the API's answers to frank quotes the hidden values: not a reason's message,
            // not the content hash (a token stands for it), not a vote's answer.
            let raw = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.frank).text
            #expect(!raw.contains("25000") && !raw.contains("acc-100200"), "\(raw)")
            let token = try #require(view["content_hash"].string)
            #expect(token.hasPrefix("seen:"))
            let queueJSON = try await api.get("/v1/reviews", key: TestServer.Key.frank).text
            #expect(!queueJSON.contains("25000") && !queueJSON.contains("acc-100200"))
            let stale = try await api.post("/v1/mutations/\(id)/approve", key: TestServer.Key.frank, json: #"{"content_hash": "seen:00"}"#)
            #expect(stale.status == .conflict, "a token of other content is refused: \(stale)")
            let vote = try await api.post("/v1/mutations/\(id)/approve", key: TestServer.Key.frank, json: #"{"content_hash": "\#(token)"}"#)
            #expect(vote.status == .ok, "the token shown stands for the hash: \(vote)")
            #expect(!vote.text.contains("25000") && !vote.text.contains("acc-100200"), "the vote's answer is masked too: \(vote.text)")
            // Frank may not rewrite values he cannot see.
            let rewrite = try await api.post(
                "/v1/mutations/\(id)/request-changes", key: TestServer.Key.frank,
                json: #"{"note": "smaller", "changes": {"amount": 10.0}}"#)
            #expect(rewrite.status == .forbidden, "\(rewrite)")
            // A reviewer cleared for every class sees the values.
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.bob).json["changes"]["amount"].double == 25000)
        }
    }

    @Test("a live page's long poll answers as soon as a mutation changes")
    func liveChanges() async throws {
        try await TestServer.with { api, _ in
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let queue = try await browser.request(.get, "/")
            let seq = try #require(queue.text.firstMatch(of: /data-live-seq="(\d+)"/).map { String($0.1) })
            let cookies = browser.cookies
            let waiter = Task {
                var poll = ConsoleSession(api)
                poll.cookies = cookies
                let started = ContinuousClock.now
                let reply = try await poll.request(.get, "/console/changes?after=\(seq)")
                return (reply, ContinuousClock.now - started)
            }
            try await Task.sleep(for: .milliseconds(300))
            _ = try await api.submit(Mutations.highDelete)
            let (reply, waited) = try await waiter.value
            #expect(reply.status == .ok)
            #expect(reply.json["seq"].int.map { $0 > Int(seq)! } == true)
            #expect(waited < .seconds(5), "woken by the change, not by the 25 s timeout")
            var stranger = ConsoleSession(api)
            let signedOut = try await stranger.request(.get, "/console/changes?after=0")
            #expect(signedOut.json["signed_out"].bool == true, "a page without a session is sent to sign in: \(signedOut)")
            #expect(signedOut.json["seq"].int == nil, "and learns nothing of the changes")
        }
    }

    @Test("the dashboard, the policies and a policy diff render for a reviewer; activation asks an admin to confirm")
    func dashboardAndPolicies() async throws {
        try await TestServer.with { api, parts in
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.highDelete)
            var browser = ConsoleSession(api)
            _ = try await browser.signIn(TestServer.Key.bob)
            let dashboard = try await browser.request(.get, "/dashboard?period=hour")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("<svg role=\"img\""))
            #expect(dashboard.text.contains("Decisions per tier: low 1, medium 0, high 1"))
            #expect(try await browser.request(.get, "/dashboard?period=year").status == .badRequest)
            let policies = try await browser.request(.get, "/policies")
            #expect(policies.text.contains("data-version=\"\(parts.pack.version)\""))
            #expect(!policies.text.contains("Activate…"), "only an admin is offered activation")

            // An admin uploads a second version, reads the diff, and activates the first one again
            // after a confirmation page.
            let original = parts.pack.version
            let uploaded = try await api.send(
                .put, "/v1/policies/strict", key: TestServer.Key.root, body: ByteBuffer(string: PolicyTests.strictPack),
                headers: [.contentType: "application/yaml"])
            let strict = try #require(uploaded.json["version"].string)
            #expect(try await api.send(.post, "/v1/policies/\(strict)/activate", key: TestServer.Key.root).status == .ok)
            var admin = ConsoleSession(api)
            _ = try await admin.signIn(TestServer.Key.root)
            let list = try await admin.request(.get, "/policies")
            #expect(list.text.contains("href=\"/policies/\(original)/activate\""))
            let diff = try await admin.request(.get, "/policies/diff?from=\(original)&to=\(strict)")
            #expect(diff.status == .ok)
            #expect(diff.text.contains("<pre id=\"policy-diff\""))
            #expect(diff.text.contains("<span class=\"added\">+ # file: "), "files are shown as YAML, not as the stored bundle")
            #expect(diff.text.contains("<span class=\"removed\">- # file: "))
            let confirm = try await admin.request(.get, "/policies/\(original)/activate")
            #expect(confirm.text.contains("id=\"confirm-activate\""))
            #expect(try await api.get("/v1/policies", key: TestServer.Key.root).json["items"].array.first { $0["active"].bool == true }?["version"].string == strict)
            let done = try await admin.request(.post, "/policies/\(original)/activate", form: [("_csrf", admin.csrf ?? "")])
            #expect(done.status == .seeOther)
            #expect(parts.gateway.activePack?.version == original)
            // A reviewer may not activate, even with a valid form.
            let refused = try await browser.request(.post, "/policies/\(strict)/activate", form: [("_csrf", browser.csrf ?? "")])
            #expect(refused.status == .forbidden)
        }
    }
}

@Suite(.sharedResources) struct KPIReportTests {
    @Test("the KPIs count decisions per tier, the automated share and the time to a human decision")
    func kpis() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, parts in
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.lowTitle.replacingOccurrences(of: "Desk lamp", with: "Floor lamp"))
            _ = try await api.submit(Mutations.blockSSN)
            let high = try await api.submit(Mutations.highDelete).json["id"].string ?? ""
            _ = try await api.submit(Mutations.invalidTransfer)
            clock.advance(by: 120)
            #expect(try await api.approve(high, key: TestServer.Key.bob).status == .ok)
            let bob = try #require(parts.gateway.principals.principal(id: "bob"))
            let report = try await parts.gateway.kpis(.hour, for: bob)
            #expect(report.decisions == ["low": 2, "block": 1, "high": 1, "invalid": 1], "\(report.decisions)")
            #expect(report.decided == 4)
            #expect(report.autoApprovalRate == 0.5)
            #expect(report.reviewsOpened == 1)
            #expect(report.escalationRate == 0)
            #expect(report.medianDecisionSeconds == 120)
            #expect(report.openReviews == 0 && report.overdueReviews == 0)
            #expect(report.series.count == 12)
            #expect(report.series.reduce(0) { $0 + $1.total } == 5)
            let agent = try #require(parts.gateway.principals.principal(id: "agent-7"))
            await #expect(throws: GatewayError.self) { _ = try await parts.gateway.kpis(.day, for: agent) }
        }
    }

    @Test("percentiles are nearest-rank")
    func percentiles() {
        #expect(KPIReport.percentile([], 0.5) == nil)
        #expect(KPIReport.percentile([3, 1, 2], 0.5) == 2)
        #expect(KPIReport.percentile(Array(1...100).map(Double.init), 0.95) == 95)
        #expect(KPIReport.percentile([7], 0.95) == 7)
    }
}
