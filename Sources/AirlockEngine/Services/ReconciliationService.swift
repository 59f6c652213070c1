import Logging
import ServiceLifecycle

/// Takes up, every ``interval`` seconds, the work a crash or an unreachable executor left
/// unfinished: mutations `executing` or `rolling_back` for longer than ``staleAfter`` seconds
/// (never one a request is carrying out right now), and reviews whose quorum is met but still
/// open. Start-up runs the same reconciliation once before serving (``Gateway/reconcile()``).
public struct ReconciliationService: Service {
    let gateway: Gateway
    /// Seconds between two rounds.
    public var interval: Double
    /// How long a mutation must have stood still before a round takes it up.
    public var staleAfter: Double

    /// How long a mutation must stand still before a round takes it up, unless told otherwise.
    public static let defaultStaleAfter: Double = 300

    public init(gateway: Gateway, interval: Double = 30, staleAfter: Double = ReconciliationService.defaultStaleAfter) {
        self.gateway = gateway
        self.interval = interval
        self.staleAfter = staleAfter
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await gateway.clock.sleep(for: interval)
                } catch {
                    return
                }
                do {
                    try await gateway.reconcile(idleFor: staleAfter)
                } catch {
                    gateway.logger.warning("a reconciliation round failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
