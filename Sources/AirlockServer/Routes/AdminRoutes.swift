import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/audit…`, `/v1/policies…`, and the unauthenticated `/healthz`, `/readyz`,
/// `/openapi.yaml`.
struct AdminRoutes {
    let gateway: Gateway

    func register(_ book: RouteBook) {
        let gateway = self.gateway
        book.on(.get, "/v1/audit") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let query = request.uri.queryParameters
            let after = try query["after"].map { text throws(Problem) -> Int64 in
                guard let n = Int64(text), n >= 0 else { throw Problem.badRequest("after must be a sequence number ≥ 0") }
                return n
            } ?? 0
            let limit = try query["limit"].map { text throws(Problem) -> Int in
                guard let n = Int(text), n >= 1, n <= 1000 else { throw Problem.badRequest("limit must be 1 to 1000") }
                return n
            } ?? 100
            let records = try await gateway.auditRecords(after: after, limit: limit, for: principal)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let items = String(decoding: try encoder.encode(records), as: UTF8.self)
            let next = records.last.map { String($0.seq) } ?? "null"
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"items\":\(items),\"next_after\":\(next)}\n")))
        }
        book.on(.get, "/v1/audit/verify") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let report = try await gateway.verifyAudit(for: principal)
            var map = CELMap()
            map["intact"] = .bool(report.isIntact)
            map["records"] = .int(report.recordCount)
            map["checkpoints"] = .int(Int64(report.checkpointCount))
            map["valid_signatures"] = .int(Int64(report.validSignatures))
            map["signed_size"] = .int(report.signedSize)
            map["root"] = .string(report.root.hex)
            map["problems"] = .list(
                report.problems.map {
                    .map(CELMap([
                        (.string("kind"), .string($0.kind.rawValue)), (.string("seq"), .int($0.seq)),
                        (.string("detail"), .string($0.detail)),
                    ]))
                })
            return jsonResponse(.map(map))
        }
        book.on(.get, "/v1/policies") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let versions = try await gateway.policies(for: principal)
            return jsonResponse(.map(CELMap([(.string("items"), .list(versions.map(Self.json)))])))
        }
        book.on(.put, "/v1/policies/{name}") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            try gateway.authorizeUpload(by: principal)
            let name = try context.parameters.require("name")
            guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
                throw Problem.badRequest("a policy name is 1 to 64 letters, digits, '.', '_' or '-'")
            }
            let type = (request.headers[.contentType] ?? "").lowercased()
            guard ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"]
                .contains(where: { type.hasPrefix($0) })
            else {
                throw Problem(
                    .unsupportedMediaType, type: "urn:airlock:problem:unsupported-media-type",
                    title: "Unsupported media type", detail: "upload the pack as application/yaml (got '\(type)')")
            }
            let text = try await RequestReading.text(&request, limits: gateway.admission.limits)
            let upload = try await gateway.upload(policy: name, text: text, by: principal)
            return jsonResponse(Self.json(upload.record), status: upload.created ? .created : .ok)
        }
        book.on(.post, "/v1/policies/{version}/activate", routerPath: "/v1/policies/{name}/activate") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let version = try context.parameters.require("name")
            let record = try await gateway.activate(policyVersion: version, by: principal)
            return jsonResponse(Self.json(record))
        }
        book.on(.get, "/healthz") { _, _ in
            jsonResponse(.map(CELMap([(.string("status"), .string("ok"))])))
        }
        book.on(.get, "/readyz") { _, _ in
            do {
                _ = try await gateway.store.auditHead()
            } catch {
                return Problem(
                    .serviceUnavailable, type: "urn:airlock:problem:unavailable", title: "Not ready",
                    detail: "the store is not reachable: \(error)"
                ).response
            }
            guard let pack = gateway.activePack else {
                return Problem(
                    .serviceUnavailable, type: "urn:airlock:problem:unavailable", title: "Not ready",
                    detail: "no policy is loaded"
                ).response
            }
            return jsonResponse(
                .map(CELMap([
                    (.string("status"), .string("ready")), (.string("policy"), .string(pack.name)),
                    (.string("policy_version"), .string(pack.version)),
                ])))
        }
        book.on(.get, "/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
    }

    static func json(_ record: PolicyVersionRecord) -> Value {
        var map = CELMap()
        map["name"] = .string(record.name)
        map["version"] = .string(record.hash)
        map["active"] = .bool(record.isActive)
        map["created_at"] = .string(MutationView.format(record.createdAt))
        map["created_by"] = .string(record.createdBy)
        map["activated_at"] = record.activatedAt.map { .string(MutationView.format($0)) } ?? .null
        map["activated_by"] = record.activatedBy.map(Value.string) ?? .null
        return .map(map)
    }
}
