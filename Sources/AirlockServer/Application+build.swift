import AirlockCore
import AirlockEngine
import AirlockStore
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// What `airlock serve` runs, built by ``buildApplication(_:clock:logger:)``.
public struct AirlockServerParts: Sendable {
    public var gateway: Gateway
    public var store: any Store
    public var pack: PolicyPack
    /// What `/metrics` exports.
    public var metrics: PrometheusCollectorRegistry
}

/// Opens the store, loads and checks the policy, and builds the gateway of a configuration.
public func openGateway(
    _ configuration: GatewayConfiguration, clock: any GatewayClock = SystemClock(), logger: Logger = Logger(label: "airlock")
) async throws -> AirlockServerParts {
    let (pack, files) = try PolicySource.load(at: configuration.policyPath, principals: configuration.principals)
    let directory = StateDirectory(path: configuration.stateDirectory)
    let store: any Store
    let signingKey: AuditSigningKey?
    if let postgres = configuration.postgres {
        // The audit signing key stays outside the database, in the state directory: every
        // instance on the database must hold the same key (copy the file).
        try directory.create()
        let key = try AuditSigningKey.loadOrCreate(at: directory.signingKeyURL)
        let opened = try await PostgresStore(
            url: postgres.url,
            configuration: PostgresStore.Configuration(
                signingKey: key, checkpointEvery: configuration.checkpointEvery,
                checkpointInterval: configuration.checkpointSeconds, now: { clock.now() },
                maximumConnections: postgres.maximumConnections, witness: configuration.witness),
            logger: logger)
        do {
            try await opened.checkSigningKey()
        } catch {
            try? await opened.close()
            throw error
        }
        store = opened
        signingKey = key
    } else {
        let opened = try SQLiteStore.open(directory) { settings in
            settings.synchronous = configuration.synchronousFull ? .full : .normal
            settings.checkpointEvery = configuration.checkpointEvery
            settings.checkpointInterval = configuration.checkpointSeconds
            settings.now = { clock.now() }
            settings.witness = configuration.witness
        }
        store = opened
        signingKey = opened.configuration.signingKey
    }
    if let witness = (store as? SQLiteStore)?.configuration.witness ?? (store as? PostgresStore)?.configuration.witness,
        let signingKey
    {
        do {
            try await witness.catchUp(with: store, publicKey: AuditPublicKey(signingKey.publicKey))
        } catch {
            try? await store.close()
            throw error
        }
    }
    try configuration.executors.check(against: pack)
    let executors = try configuration.executors.makeExecutors(clock: clock)
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    // Decisions take microseconds to milliseconds; people take seconds to days.
    factory.durationHistogramBuckets = [
        "airlock_decision_duration_seconds": [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ],
        "airlock_human_decision_duration_seconds": [
            .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(1_800), .seconds(3_600),
            .seconds(14_400), .seconds(86_400),
        ],
    ]
    let gateway = Gateway(
        store: store, principals: configuration.principals, clock: clock,
        auditPublicKey: signingKey?.publicKey, executors: executors,
        notifications: Notifications(targets: configuration.notify, principals: configuration.principals), logger: logger,
        metrics: GatewayMetrics(factory: factory))
    gateway.configureDrift(configuration.drift)
    gateway.configureOversight(configuration.oversight)
    gateway.admission.configure(limits: configuration.limits, rates: configuration.rateLimits)
    try await gateway.start(configuredPack: pack, files: files, by: "config:\(configuration.source)")
    // Alone on its database, an instance takes up everything left unfinished; sharing it, only
    // what has stood still long enough not to be in flight on another instance.
    if store.isShared {
        try await gateway.reconcile(idleFor: configuration.reconcileStaleAfter, recountReviews: true)
    } else {
        try await gateway.reconcile()
    }
    return AirlockServerParts(gateway: gateway, store: store, pack: pack, metrics: registry)
}

/// The router with every route of the API, and the reviewer console at `/`. `consoleKey` signs
/// the console's session cookies (a fresh one, unless given, signs out everyone on restart).
public func buildRouter(
    _ gateway: Gateway, consoleKey: SymmetricKey = SymmetricKey(size: .bits256),
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
)
    -> (router: Router<AirlockRequestContext>, routes: [(method: String, path: String)])
{
    let router = Router(context: AirlockRequestContext.self)
    let book = RouteBook(router: router)
    MutationRoutes(gateway: gateway).register(book)
    AdminRoutes(gateway: gateway).register(book)
    ShadowRoutes(gateway: gateway).register(book)
    SystemRoutes(gateway: gateway).register(book)
    MCPRoutes(gateway: gateway).register(book)
    MetricsRoutes(gateway: gateway, registry: metrics).register(book)
    // The console's pages are HTML for people, not part of the JSON API nor of its OpenAPI document.
    ConsoleRoutes(gateway: gateway, sessions: ConsoleSessions(key: consoleKey)).register(router)
    router.add(middleware: UnknownRouteMiddleware(routes: book.routes))
    return (router, book.routes)
}

/// Builds the whole server of a configuration: `airlock serve` runs it, and tests build the same
/// with a test configuration. With `reloadFile`, SIGHUP reads that configuration file again
/// (``ConfigurationReload``).
public func buildApplication(
    _ configuration: GatewayConfiguration, clock: any GatewayClock = SystemClock(), logger: Logger? = nil,
    reloadFile: String? = nil, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> (application: some ApplicationProtocol, parts: AirlockServerParts) {
    var logger = logger ?? Logger(label: "airlock")
    // LOG_LEVEL (trace, debug, info, notice, warning, error, critical) sets the level; without
    // it a logger of its own keeps its level, and the server's is at info.
    let level = ProcessInfo.processInfo.environment["LOG_LEVEL"]
    if let level {
        if let known = Logger.Level(rawValue: level.lowercased()) {
            logger.logLevel = known
        } else {
            logger.warning("LOG_LEVEL '\(level)' is not a level (trace, debug, info, notice, warning, error, critical); logging at \(logger.logLevel)")
        }
    }
    let parts = try await openGateway(configuration, clock: clock, logger: logger)
    let consoleKey = try ConsoleSessions.key(in: StateDirectory(path: configuration.stateDirectory))
    var services: [any Service] = [
        CheckpointService(store: parts.store, clock: clock, logger: logger), SignalSaveService(gateway: parts.gateway),
        ReconciliationService(
            gateway: parts.gateway, interval: configuration.reconcileInterval, staleAfter: configuration.reconcileStaleAfter),
        DeadlineService(gateway: parts.gateway),
        WebhookDeliveryService(gateway: parts.gateway), DriftService(gateway: parts.gateway),
        StoreFollowerService(gateway: parts.gateway),
    ]
    if let reloadFile {
        services.append(ConfigurationReloadService(gateway: parts.gateway, file: reloadFile, running: configuration, logger: logger))
    }
    let application = Application(
        router: buildRouter(parts.gateway, consoleKey: consoleKey, metrics: parts.metrics).router,
        // Long polls learn when their client leaves (AirlockRequestContext.untilDisconnected).
        server: .http1(configuration: .init(additionalChannelHandlers: [ClientGoneHandler()])),
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "airlock"),
        // Shut down after the server has drained its requests, in reverse order: webhook deliveries
        // in flight finish, deadlines and reconciliation stop, the signal history is saved, the
        // last checkpoint signed.
        services: services,
        onServerRunning: onServerRunning,
        logger: logger)
    return (application, parts)
}
