import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import ServiceLifecycle

/// The reviewer console at `/`: server-rendered pages over the same gateway calls as the API.
/// Not part of the JSON API (nor of `/openapi.yaml`); every page needs a session, every form a
/// CSRF token.
struct ConsoleRoutes {
    let gateway: Gateway
    let sessions: ConsoleSessions

    /// A signed-in reader of a page.
    struct Reader {
        var session: ConsoleSessions.Session
        var principal: Principal
        var csrf: String
    }

    /// A page that could not be shown: answered as an HTML page with `status`.
    struct PageError: Error {
        var status: HTTPResponse.Status
        var heading: String
        var text: String
        var back: String?
    }

    func register(_ router: Router<AirlockRequestContext>) {
        router.get("/console/console.css") { _, _ in Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        router.get("/console/console.js") { _, _ in Self.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8") }
        router.get("/sign-in") { request, _ in signInPage(request, status: .ok, error: nil) }
        router.post("/sign-in") { request, _ in await signIn(request) }
        router.post("/sign-out") { request, _ in
            await form(request) { reader, _ in
                sessions.revoke(reader.session, now: gateway.clock.now())
                var response = Response(status: .seeOther, headers: [.location: "/sign-in"])
                response.setCookie(Self.cookie(ConsoleSessions.cookieName, "", maxAge: 0, request))
                return response
            }
        }
        router.get("/") { request, _ in await page(request) { reader in try await queuePage(request, reader) } }
        router.get("/mutations/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await page(request) { reader in try await mutationPage(request, id, reader) }
        }
        for action in ["approve", "reject", "request-changes"] {
            router.post(RouterPath("/mutations/{id}/\(action)")) { request, context in
                let id = context.parameters.get("id") ?? ""
                return await form(request) { reader, fields in try await decide(action, id, fields, reader, request) }
            }
        }
        router.get("/dashboard") { request, _ in await page(request) { reader in try await dashboardPage(request, reader) } }
        router.get("/policies") { request, _ in await page(request) { reader in try await policiesPage(request, reader) } }
        router.get("/policies/diff") { request, _ in await page(request) { reader in try await policyDiffPage(request, reader) } }
        router.get("/policies/{version}/activate") { request, context in
            let version = context.parameters.get("version") ?? ""
            return await page(request) { reader in try await activatePage(request, version, reader) }
        }
        router.post("/policies/{version}/activate") { request, context in
            let version = context.parameters.get("version") ?? ""
            return await form(request) { reader, _ in
                let record = try await gateway.activate(policyVersion: version, by: reader.principal)
                return Self.redirect("/policies", flash: ("ok", "Version \(Self.short(record.hash)) of \(record.name) is active."), request)
            }
        }
        router.get("/console/changes") { request, context in
            // A page whose session ended (signed out in another tab, expired) is told so in a
            // normal answer, and goes to the sign-in page: not an error in the browser's log.
            guard let reader = reader(of: request) else {
                return jsonResponse(.map(CELMap([(.string("signed_out"), .bool(true))])))
            }
            let after = request.uri.queryParameters["after"].flatMap { UInt64(String($0)) } ?? 0
            // Counted among the reader's long polls: a reviewer with many tabs open is told to
            // wait (429; the page asks again after a pause), not given a waiter per tab.
            // A closed tab's wait ends with it (and gives back its place among the long polls).
            let principal = reader.principal
            let waited: Result<UInt64, GatewayError> = await withGracefulShutdownHandler {
                do {
                    return .success(
                        try await context.untilDisconnected {
                            try await gateway.waitForAnyChange(after: after, seconds: Self.longPollSeconds, for: principal)
                        })
                } catch let error as GatewayError {
                    return .failure(error)
                } catch {
                    return .success(gateway.changeSequence)
                }
            } onGracefulShutdown: {
                gateway.endWaits()
            }
            switch waited {
            case .success(let seq): return jsonResponse(.map(CELMap([(.string("seq"), .int(Int64(clamping: seq)))])))
            case .failure(let error) where error.kind == .unauthenticated:
                // Removed, or given a new key, while the page waited: signed out, as above.
                return jsonResponse(.map(CELMap([(.string("signed_out"), .bool(true))])))
            case .failure(let error): return Problem(error).response
            }
        }
    }

    /// How long a live page's long poll waits for a change before it asks again.
    static let longPollSeconds = 25.0

    // MARK: Sessions and forms

    /// The signed-in reader of a request, if its session cookie holds and names a known principal.
    func reader(of request: Request) -> Reader? {
        guard let session = sessions.session(from: request.cookies[ConsoleSessions.cookieName]?.value, now: gateway.clock.now()),
            let principal = gateway.principals.principal(id: session.principalID),
            gateway.principals.keyFingerprint(id: principal.id) == session.keyFingerprint
        else { return nil }
        return Reader(session: session, principal: principal, csrf: sessions.csrfToken(for: session))
    }

    /// A page for a signed-in reader (signed out: to the sign-in page).
    func page(_ request: Request, _ build: (Reader) async throws -> Response) async -> Response {
        guard let reader = reader(of: request) else { return Response(status: .seeOther, headers: [.location: "/sign-in"]) }
        do {
            return try await build(reader)
        } catch {
            return errorPage(error, reader: reader, request)
        }
    }

    /// A form post: refused with 403 unless a session is signed in and the form carries its CSRF
    /// token.
    func form(_ request: Request, _ handle: (Reader, [String: String]) async throws -> Response) async -> Response {
        var request = request
        let fields: [String: String]
        do {
            fields = try await FormBody.read(&request)
        } catch {
            return render("message", Self.base("Bad form", request, reader: nil).merging(["heading": "Bad form", "text": "\(error)"]) { $1 }, status: .badRequest)
        }
        guard let reader = reader(of: request) else {
            return message(.forbidden, "Signed out", "Your session has ended or was signed out; sign in again.", back: "/sign-in", reader: nil, request)
        }
        guard let token = fields["_csrf"], ConsoleSessions.constantTimeEqual(token, reader.csrf) else {
            return message(.forbidden, "Refused", "The form did not carry this session's CSRF token; reload the page and try again.", back: "/", reader: reader, request)
        }
        do {
            return try await handle(reader, fields)
        } catch {
            return errorPage(error, reader: reader, request)
        }
    }

    func signInPage(_ request: Request, status: HTTPResponse.Status, error: String?) -> Response {
        let nonce = ConsoleSessions.randomToken()
        var context = Self.base("Sign in", request, reader: nil)
        context["signInToken"] = sessions.signInToken(nonce: nonce)
        context["hours"] = Int(ConsoleSessions.lifetime / 3_600)
        if let error { context["flash"] = ["kind": "error", "text": error] }
        var response = render("sign-in", context, status: status)
        response.setCookie(Self.cookie(ConsoleSessions.signInCookieName, nonce, maxAge: Int(ConsoleSessions.signInLifetime), request))
        return response
    }

    func signIn(_ request: Request) async -> Response {
        var request = request
        guard let fields = try? await FormBody.read(&request) else {
            return signInPage(request, status: .badRequest, error: "The sign-in form could not be read.")
        }
        guard let nonce = request.cookies[ConsoleSessions.signInCookieName]?.value, let token = fields["_csrf"],
            ConsoleSessions.constantTimeEqual(token, sessions.signInToken(nonce: nonce))
        else {
            return signInPage(request, status: .forbidden, error: "The sign-in form has expired or did not come from this console; try again.")
        }
        guard let key = fields["key"], !key.isEmpty, let principal = gateway.principals.authenticate(key: key) else {
            return signInPage(request, status: .unauthorized, error: "That key is not known here.")
        }
        let fingerprint = gateway.principals.keyFingerprint(id: principal.id) ?? ""
        let (_, value) = sessions.issue(for: principal.id, keyFingerprint: fingerprint, now: gateway.clock.now())
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(Self.cookie(ConsoleSessions.cookieName, value, maxAge: Int(ConsoleSessions.lifetime), request))
        response.setCookie(Self.cookie(ConsoleSessions.signInCookieName, "", maxAge: 0, request))
        return response
    }

    // MARK: Votes

    func decide(_ action: String, _ id: String, _ fields: [String: String], _ reader: Reader, _ request: Request) async throws -> Response {
        let back = "/mutations/\(id)"
        let note = fields["note"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        switch action {
        case "approve", "reject":
            if action == "reject", note == nil {
                throw PageError(status: .badRequest, heading: "A rejection needs a note", text: "Say why you reject it: the submitter and the audit log read it.", back: back)
            }
            var seen = Seen()
            seen.contentHash = fields["content_hash"]
            seen.policyVersion = fields["policy_version"]
            guard seen.contentHash != nil, seen.policyVersion != nil else {
                throw PageError(status: .badRequest, heading: "Vote refused", text: "The form did not say what you were shown (content hash and policy version); reload the page.", back: back)
            }
            let view = try await gateway.vote(on: id, approve: action == "approve", note: note, seen: seen, by: reader.principal)
            var text = action == "approve" ? "You approved it" : "You rejected it"
            if let approvals = view.approvals, view.status == .pendingReview {
                text += ": \(approvals.received.count) of \(approvals.required) approvals; it waits for the rest."
            } else {
                text += "; it is \(view.status.rawValue)."
            }
            return Self.redirect(back, flash: ("ok", text), request)
        default:
            guard let note else {
                throw PageError(status: .badRequest, heading: "Asking for changes needs a note", text: "Say what should change and why.", back: back)
            }
            let current = try await gateway.view(of: id, for: reader.principal)
            let changes = try Self.editedChanges(fields, original: current.changes, back: back)
            let revision = try await gateway.requestChanges(on: id, changes: changes, note: note, by: reader.principal)
            return Self.redirect("/mutations/\(revision.view.id)", flash: ("ok", "Sent back as a revision; it is \(revision.view.status.rawValue)."), request)
        }
    }

    /// The changes of a request-changes form: each `change.FIELD` read as the type of the value it
    /// replaces.
    static func editedChanges(_ fields: [String: String], original: Value, back: String) throws -> Value {
        guard case .map(let map) = original else { return original }
        var edited = CELMap()
        for (key, old) in map.entries {
            guard case .string(let name) = key else { continue }
            guard let text = fields["change.\(name)"] else {
                edited[key] = old
                continue
            }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let value: Value?
            switch old {
            case .double: value = Double(trimmed).map(Value.double)
            case .int: value = Int64(trimmed).map(Value.int) ?? Double(trimmed).map(Value.double)
            case .uint: value = UInt64(trimmed).map(Value.uint)
            case .bool: value = trimmed == "true" ? .bool(true) : trimmed == "false" ? .bool(false) : nil
            case .string: value = .string(text)
            case .null: value = trimmed.isEmpty ? .null : .string(text)
            default: value = try? Value(json: trimmed)
            }
            guard let value else {
                throw PageError(status: .badRequest, heading: "Cannot read \(name)", text: "'\(text)' is not a value of the type \(name) had (\(Self.text(old))).", back: back)
            }
            edited[key] = value
        }
        return .map(edited)
    }

    // MARK: Responses

    func render(_ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = ConsoleTemplates.library.render(context, withTemplate: template) ?? "template \(template) is missing"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page for a signed-in reader, with the flash message (if any) shown once.
    func render(_ template: String, _ context: [String: Any], reader: Reader, request: Request, status: HTTPResponse.Status = .ok) -> Response {
        var context = context
        var clearFlash = false
        if let flash = Self.flash(request) {
            context["flash"] = ["kind": flash.kind, "text": flash.text]
            clearFlash = true
        }
        var response = render(template, context, status: status)
        if clearFlash { response.setCookie(Self.cookie(ConsoleSessions.flashCookieName, "", maxAge: 0, request)) }
        return response
    }

    func message(_ status: HTTPResponse.Status, _ heading: String, _ text: String, back: String?, reader: Reader?, _ request: Request) -> Response {
        var context = Self.base(heading, request, reader: reader)
        context["heading"] = heading
        context["text"] = text
        if let back { context["back"] = back }
        return render("message", context, status: status)
    }

    func errorPage(_ error: any Error, reader: Reader, _ request: Request) -> Response {
        switch error {
        case let page as PageError:
            return message(page.status, page.heading, page.text, back: page.back, reader: reader, request)
        case let error as GatewayError:
            return message(Problem(error).status, error.title, error.detail, back: "/", reader: reader, request)
        default:
            return message(.internalServerError, "Something went wrong", "The request failed unexpectedly; the server's log has the details.", back: "/", reader: reader, request)
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, flash: (kind: String, text: String), _ request: Request) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        let value = Data("\(flash.kind)|\(flash.text)".utf8).base64URLEncoded
        response.setCookie(cookie(ConsoleSessions.flashCookieName, value, maxAge: 60, request))
        return response
    }

    static func flash(_ request: Request) -> (kind: String, text: String)? {
        guard let value = request.cookies[ConsoleSessions.flashCookieName]?.value, !value.isEmpty,
            let data = Data(base64URLEncoded: value), let text = String(data: data, encoding: .utf8),
            let bar = text.firstIndex(of: "|")
        else { return nil }
        let kind = String(text[..<bar])
        return (["ok", "error", "warn"].contains(kind) ? kind : "ok", String(text[text.index(after: bar)...]))
    }

    /// A console cookie: HttpOnly, SameSite=Strict, for the whole site; Secure when the request
    /// came over HTTPS (directly or through a proxy that says so).
    static func cookie(_ name: String, _ value: String, maxAge: Int, _ request: Request) -> Cookie {
        let secure = request.uri.scheme == .https || request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

/// An `application/x-www-form-urlencoded` body.
enum FormBody {
    static let limit = 256 * 1024

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ request: inout Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: limit)
        return parse(String(buffer: buffer))
    }

    /// The fields of a form body; a name given twice keeps its last value.
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            fields[name] = value
        }
        return fields
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
