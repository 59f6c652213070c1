import Logging
import ServiceLifecycle

/// Writes the signal history to the store every ``Gateway/signalSaveInterval`` seconds when it
/// changed, and once more on shutdown, so that a restart loses at most that much of it.
public struct SignalSaveService: Service {
    let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await gateway.clock.sleep(for: Gateway.signalSaveInterval)
                } catch {
                    return
                }
                await save()
            }
        }
        await save()
    }

    private func save() async {
        do {
            try await gateway.saveSignals()
        } catch {
            gateway.logger.warning("saving the signal history failed", metadata: ["error": "\(error)"])
        }
    }
}
