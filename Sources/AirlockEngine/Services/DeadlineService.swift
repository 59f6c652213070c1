import ServiceLifecycle

/// Acts on review deadlines as they pass (``Gateway/settleDueDeadlines()``): escalation, then the
/// tier's `on_timeout`. It sleeps on the gateway's clock until the earliest open deadline, and is
/// woken when a review opens or escalates; deadlines are stored, so a restart loses none (those
/// that passed while the server was down are acted on at start).
public struct DeadlineService: Service {
    let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await gateway.runDeadlines()
        }
    }
}
