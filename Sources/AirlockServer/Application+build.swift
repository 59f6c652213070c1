import AirlockCore
import AirlockEngine
import AirlockStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// What `airlock serve` runs, built by ``buildApplication(_:clock:logger:)``.
public struct AirlockServerParts: Sendable {
    public var gateway: Gateway
    public var store: SQLiteStore
    public var pack: PolicyPack
}

/// Opens the store, loads and checks the policy, and builds the gateway of a configuration.
public func openGateway(_ configuration: GatewayConfiguration, clock: any GatewayClock = SystemClock()) async throws
    -> AirlockServerParts
{
    let (pack, files) = try PolicySource.load(at: configuration.policyPath, principals: configuration.principals)
    let directory = StateDirectory(path: configuration.stateDirectory)
    let store = try SQLiteStore.open(directory) { settings in
        settings.synchronous = configuration.synchronousFull ? .full : .normal
        settings.checkpointEvery = configuration.checkpointEvery
        settings.checkpointInterval = configuration.checkpointSeconds
        settings.now = { clock.now() }
    }
    try configuration.executors.check(against: pack)
    let executors = try configuration.executors.makeExecutors(now: { clock.now() })
    let gateway = Gateway(
        store: store, principals: configuration.principals, clock: clock,
        auditPublicKey: store.configuration.signingKey?.publicKey, executors: executors)
    try await gateway.start(configuredPack: pack, files: files, by: "config:\(configuration.source)")
    try await gateway.reconcile()
    return AirlockServerParts(gateway: gateway, store: store, pack: pack)
}

/// The router with every route of the API.
public func buildRouter(_ gateway: Gateway) -> (router: Router<BasicRequestContext>, routes: [(method: String, path: String)]) {
    let router = Router()
    let book = RouteBook(router: router)
    MutationRoutes(gateway: gateway).register(book)
    AdminRoutes(gateway: gateway).register(book)
    router.add(middleware: UnknownRouteMiddleware(routes: book.routes))
    return (router, book.routes)
}

/// Builds the whole server of a configuration: `airlock serve` runs it, and tests build the same
/// with a test configuration.
public func buildApplication(
    _ configuration: GatewayConfiguration, clock: any GatewayClock = SystemClock(), logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> (application: some ApplicationProtocol, parts: AirlockServerParts) {
    let parts = try await openGateway(configuration, clock: clock)
    var logger = logger ?? Logger(label: "airlock")
    if logger.logLevel > .info, ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil { logger.logLevel = .info }
    let application = Application(
        router: buildRouter(parts.gateway).router,
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "airlock"),
        services: [GatewayService(gateway: parts.gateway, store: parts.store, logger: logger)],
        onServerRunning: onServerRunning,
        logger: logger)
    return (application, parts)
}

/// The gateway's background duties: signing audit checkpoints when due, and, on shutdown,
/// saving the signal history and closing the store after in-flight requests drained.
struct GatewayService: Service {
    let gateway: Gateway
    let store: SQLiteStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                do {
                    _ = try await store.checkpointIfDue()
                } catch {
                    logger.warning("audit checkpoint failed: \(error)")
                }
            }
        }
        do {
            try await gateway.saveSignals()
            _ = try await store.signCheckpoint()
        } catch {
            logger.warning("saving state on shutdown failed: \(error)")
        }
    }
}
