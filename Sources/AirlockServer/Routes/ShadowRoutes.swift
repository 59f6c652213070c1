import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import Hummingbird

/// Shadow policies: `POST /v1/policies/{version}/shadow` starts running a stored version beside
/// the active one, `DELETE /v1/policies/shadow` stops it, `GET /v1/policies/shadow` reports how
/// often and where the two disagree.
struct ShadowRoutes {
    let gateway: Gateway

    func register(_ book: RouteBook) {
        let gateway = self.gateway
        book.on(.post, "/v1/policies/{version}/shadow", routerPath: "/v1/policies/{name}/shadow") { request, context in
            let principal = try RequestReading.principal(request, of: gateway)
            let version = try context.parameters.require("name")
            let setting = try await gateway.startShadow(policyVersion: version, by: principal)
            return jsonResponse(Self.json(setting))
        }
        book.on(.delete, "/v1/policies/shadow") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let stopped = try await gateway.stopShadow(by: principal)
            var map = CELMap()
            map["stopped"] = Self.json(stopped)
            return jsonResponse(.map(map))
        }
        book.on(.get, "/v1/policies/shadow") { request, _ in
            let principal = try RequestReading.principal(request, of: gateway)
            let query = request.uri.queryParameters
            let since = try query["since"].map { text throws(Problem) -> Date in
                guard let time = RFC3339.parse(String(text)) else {
                    throw Problem.badRequest("since must be an RFC 3339 time (2026-01-06T00:00:00Z), not '\(text)'")
                }
                return Date(timeIntervalSince1970: Double(time.seconds) + Double(time.nanos) / 1e9)
            }
            let version = query["version"].map(String.init)
            if let version, version.isEmpty {
                throw Problem.badRequest("version must be a stored policy version or its first hex digits, not empty")
            }
            let report = try await gateway.shadowReport(version: version, since: since, for: principal)
            return jsonResponse(Self.json(report))
        }
    }

    static func json(_ setting: ShadowSetting) -> Value {
        var map = CELMap()
        map["version"] = .string(setting.version)
        map["since"] = .string(MutationView.format(setting.since))
        map["by"] = .string(setting.by)
        return .map(map)
    }

    static func json(_ report: ShadowReport) -> Value {
        var map = CELMap()
        map["version"] = report.version.map(Value.string) ?? .null
        map["running"] = report.running.map(json) ?? .null
        map["evaluated"] = .int(Int64(report.evaluated))
        map["disagreements"] = .int(Int64(report.disagreements))
        map["disagreement_rate"] = report.disagreementRate.map(Value.double) ?? .null
        map["pairs"] = .list(
            report.pairs.map { .map(CELMap(["active": .string($0.active), "shadow": .string($0.shadow), "count": .int(Int64($0.count))])) })
        map["rules"] = .list(
            report.rules.map {
                .map(
                    CELMap([
                        "rule": .string($0.rule), "active_only": .int(Int64($0.activeOnly)), "shadow_only": .int(Int64($0.shadowOnly)),
                        "matched_both": .int(Int64($0.matchedBoth)),
                    ]))
            })
        map["resources"] = .list(
            report.resources.map {
                .map(
                    CELMap([
                        "resource": .string($0.resource), "evaluated": .int(Int64($0.evaluated)),
                        "disagreements": .int(Int64($0.disagreements)),
                    ]))
            })
        map["recent"] = .list(
            report.recent.map { result in
                var item = CELMap()
                item["mutation"] = .string(result.mutationID)
                item["resource"] = .string(result.resource)
                item["at"] = .string(MutationView.format(result.at))
                item["active"] = .map(CELMap(["tier": .string(result.activeTier), "rules": .list(result.activeRules.map(Value.string))]))
                var shadow = CELMap(["tier": .string(result.shadowTier), "rules": .list(result.shadowRules.map(Value.string))])
                if let text = result.shadowDecision, let decision = try? Value(json: text) { shadow["decision"] = decision }
                item["shadow"] = .map(shadow)
                return .map(item)
            })
        return .map(map)
    }
}
