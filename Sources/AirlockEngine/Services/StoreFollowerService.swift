import ServiceLifecycle

/// Follows what other instances sharing the database commit (``Gateway/followStoreChanges()``):
/// their changes wake this instance's long polls, their settings take force here. Does nothing
/// for a store without other writers (SQLite).
public struct StoreFollowerService: Service {
    let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await gateway.followStoreChanges()
        }
        // A service that returns ends the whole server: without a feed to follow (SQLite), this
        // one stays until shutdown like the others.
        try? await gracefulShutdown()
    }
}
