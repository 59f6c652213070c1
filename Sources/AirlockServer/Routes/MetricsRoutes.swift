import AirlockCore
import AirlockEngine
import AirlockStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics`: the gateway's metrics in the Prometheus text format. The counters and
/// histograms are kept as things happen (``GatewayMetrics``); the gauges of the moment (open and
/// overdue reviews, the last hour's automated share, the policy in force) are read at each scrape.
struct MetricsRoutes {
    let gateway: Gateway
    let registry: PrometheusCollectorRegistry

    func register(_ book: RouteBook) {
        let open = registry.makeGauge(name: "airlock_open_reviews", help: "Reviews open now (blocking and parallel)")
        let overdue = registry.makeGauge(name: "airlock_overdue_reviews", help: "Open reviews past their deadline")
        let automated = registry.makeGauge(
            name: "airlock_auto_approval_ratio", help: "Share of the last hour's decisions that went ahead without waiting (low, medium)")
        let waiting = registry.makeGauge(name: "airlock_long_polls", help: "Requests waiting for a mutation to change")
        book.on(.get, "/metrics") { _, _ in
            let report = try await gateway.kpis(.hour, for: Self.reader)
            open.set(to: Double(report.openReviews))
            overdue.set(to: Double(report.overdueReviews))
            automated.set(to: report.autoApprovalRate ?? 0)
            waiting.set(to: Double(gateway.waitingRequests))
            if let pack = gateway.activePack {
                // One series per version ever active here; the one in force is 1.
                for version in try await gateway.policies(for: Self.reader) {
                    registry.makeGauge(
                        name: "airlock_policy_info", labels: [("name", version.name), ("version", String(version.hash.prefix(12)))],
                        help: "The policy version in force (1) and earlier ones (0)"
                    ).set(to: version.hash == pack.version ? 1.0 : 0.0)
                }
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// Who the scrape reads as: it sees counts, never a mutation.
    static let reader = Principal(id: "metrics", kind: .service, roles: [.auditor])
}
