import AirlockStore
import Logging
import ServiceLifecycle

/// Signs an audit checkpoint whenever one is due (the store's interval), and a last one on
/// shutdown, after the requests in flight have drained.
public struct CheckpointService: Service {
    let store: any Store
    let clock: any GatewayClock
    let logger: Logger

    public init(store: any Store, clock: any GatewayClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await clock.sleep(for: 1)
                } catch {
                    return
                }
                do {
                    _ = try await store.checkpointIfDue()
                } catch {
                    logger.warning("signing an audit checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            _ = try await store.signCheckpoint()
        } catch {
            logger.warning("signing the shutdown checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
