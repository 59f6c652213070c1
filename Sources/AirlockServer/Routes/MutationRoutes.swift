import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// `/v1/mutations…` and `/v1/reviews`: submitting, reading, waiting, voting.
struct MutationRoutes {
    let gateway: Gateway

    func register(_ book: RouteBook) {
        let gateway = self.gateway
        book.on(.post, "/v1/mutations") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let body = try await RequestReading.jsonObject(&request, limits: gateway.admission.limits)
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            if let key, key.isEmpty || key.utf8.count > 255 {
                throw Problem.badRequest("Idempotency-Key must be 1 to 255 characters")
            }
            let submission = try await gateway.submit(body, by: principal, idempotencyKey: key)
            return jsonResponse(submission.view.jsonValue, status: submission.replayed ? .ok : .created)
        }
        book.on(.get, "/v1/mutations/{id}") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let id = try context.parameters.require("id")
            let query = request.uri.queryParameters
            if let waitText = query["wait"].map(String.init) {
                let most = gateway.admission.limits.waitSeconds
                guard let wait = Double(waitText), wait >= 0, wait <= Double(most) else {
                    throw Problem.badRequest("wait must be a number of seconds from 0 to \(most) (limits.wait_seconds; got '\(waitText)')")
                }
                var from: MutationStatus?
                if let statusText = query["status"].map(String.init) {
                    guard let status = MutationStatus(rawValue: statusText) else {
                        throw Problem.badRequest("unknown status '\(statusText)'")
                    }
                    from = status
                }
                // On shutdown the wait ends with the mutation as it is, rather than holding the
                // server until it expires.
                // A client that goes away ends its wait (and its place among its long polls).
                let status = from
                let view = try await withGracefulShutdownHandler {
                    try await context.untilDisconnected {
                        try await gateway.waitForChange(of: id, from: status, seconds: wait, for: principal)
                    }
                } onGracefulShutdown: {
                    gateway.endWaits()
                }
                return jsonResponse(view.jsonValue)
            }
            return jsonResponse(try await gateway.view(of: id, for: principal).jsonValue)
        }
        book.on(.get, "/v1/mutations") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let query = request.uri.queryParameters
            var statuses: Set<MutationStatus> = []
            if let text = query["status"].map(String.init), !text.isEmpty {
                for name in text.split(separator: ",") {
                    guard let status = MutationStatus(rawValue: String(name)) else {
                        throw Problem.badRequest("unknown status '\(name)'")
                    }
                    statuses.insert(status)
                }
            }
            var limit = 50
            if let text = query["limit"].map(String.init) {
                guard let n = Int(text), n >= 1, n <= 500 else { throw Problem.badRequest("limit must be 1 to 500") }
                limit = n
            }
            let page = try await gateway.list(
                statuses: statuses, resource: query["resource"].map(String.init), actor: query["actor"].map(String.init),
                limit: limit, after: query["cursor"].map(String.init), for: principal)
            return jsonResponse(
                .map(CELMap([
                    (.string("items"), .list(page.views.map(\.jsonValue))),
                    (.string("next_cursor"), page.next.map(Value.string) ?? .null),
                ])))
        }
        book.on(.get, "/v1/reviews") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let query = request.uri.queryParameters
            var limit = 100
            if let text = query["limit"] {
                guard let n = Int(text), (1...500).contains(n) else {
                    throw Problem.badRequest("limit must be a whole number from 1 to 500 (got '\(text)')")
                }
                limit = n
            }
            let reviews = try await gateway.openReviews(for: principal, limit: limit)
            let now = gateway.clock.now()
            return jsonResponse(
                .map(CELMap([
                    (.string("items"), .list(reviews.map { review, view in
                        var map = CELMap()
                        map["review_id"] = .string(review.id)
                        map["mutation_id"] = .string(view.id)
                        map["tier"] = view.tier.map(Value.string) ?? .null
                        map["mode"] = .string(review.mode.rawValue)
                        map["pool"] = .string(review.groups.first?.pool ?? "")
                        map["pools"] = .list(review.groups.map { .string($0.pool) })
                        map["sla_deadline"] = review.deadline.map { .string(MutationView.format($0)) } ?? .null
                        // Whole seconds until the deadline; negative once it has passed.
                        map["seconds_left"] = review.deadline.map { .int(Int64($0.timeIntervalSince(now).rounded(.down))) } ?? .null
                        map["overdue"] = .bool(review.deadline.map { $0 <= now } ?? false)
                        map["escalations"] = .int(Int64(review.escalations))
                        map["reasons"] = view.jsonValue.field("reasons")
                        map["mutation"] = view.jsonValue
                        return .map(map)
                    }))
                ])))
        }
        for (path, approve) in [("/v1/mutations/{id}/approve", true), ("/v1/mutations/{id}/reject", false)] {
            book.on(.post, path) { request, context in
                let principal = try RequestReading.principal(request, of: gateway)
                let id = try context.parameters.require("id")
                var note: String?
                var seen = Seen()
                if let body = try await RequestReading.optionalJSONObject(&request, limits: gateway.admission.limits) {
                    note = try Self.optionalString(body, "note")
                    // What the reviewer was shown: a vote for anything else is refused (409).
                    seen.contentHash = try Self.optionalString(body, "content_hash")
                    seen.policyVersion = try Self.optionalString(body, "policy_version")
                }
                let view = try await gateway.vote(on: id, approve: approve, note: note, seen: seen, by: principal)
                return jsonResponse(view.jsonValue)
            }
        }
        book.on(.post, "/v1/mutations/{id}/rollback") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let id = try context.parameters.require("id")
            let body = try await RequestReading.jsonObject(&request, limits: gateway.admission.limits)
            guard case .string(let note) = body.field("note") else {
                throw Problem.badRequest("a rollback needs a note saying why", errors: [("note", "required string")])
            }
            let force: Bool
            switch body.field("force") {
            case .bool(let value): force = value
            case .null: force = false
            default: throw Problem.badRequest("force must be true or false", errors: [("force", "must be a boolean")])
            }
            return jsonResponse(try await gateway.rollback(id, note: note, force: force, by: principal).jsonValue)
        }
        book.on(.post, "/v1/mutations/{id}/request-changes") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let id = try context.parameters.require("id")
            let body = try await RequestReading.jsonObject(&request, limits: gateway.admission.limits)
            guard case .string(let note) = body.field("note") else {
                throw Problem.badRequest("asking for changes needs a note saying why", errors: [("note", "required string")])
            }
            let revision = try await gateway.requestChanges(on: id, changes: body.field("changes"), note: note, by: principal)
            return jsonResponse(revision.view.jsonValue, status: .created)
        }
        book.on(.post, "/v1/mutations/{id}/outcome") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let id = try context.parameters.require("id")
            let body = try await RequestReading.jsonObject(&request, limits: gateway.admission.limits)
            let executed: Bool
            switch body.field("status") {
            case .string("executed"): executed = true
            case .string("failed"): executed = false
            default:
                throw Problem.badRequest("status must be executed or failed", errors: [("status", "executed | failed")])
            }
            var detail: String?
            switch body.field("detail") {
            case .string(let text): detail = text
            case .null: detail = nil
            default: throw Problem.badRequest("detail must be a string", errors: [("detail", "must be a string")])
            }
            return jsonResponse(try await gateway.reportOutcome(id, executed: executed, detail: detail, by: principal).jsonValue)
        }
    }
}

extension Value {
    /// A field of a map value, or null.
    func field(_ name: String) -> Value {
        guard case .map(let map) = self else { return .null }
        return map[name] ?? .null
    }
}

extension MutationRoutes {
    /// An optional string field of a request body: absent or null is `nil`; anything else but a
    /// string is a 400 naming the field.
    static func optionalString(_ body: Value, _ field: String) throws -> String? {
        switch body.field(field) {
        case .string(let text): return text
        case .null: return nil
        default: throw Problem.badRequest("\(field) must be a string", errors: [(field, "must be a string")])
        }
    }
}
