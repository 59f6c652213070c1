import AirlockCore
import AirlockEngine
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// What a running server takes from its configuration file again without a restart: the
/// principals (keys, roles, pools, owners, clearances, rate limits), `limits` and `rate_limits`.
/// A removed principal's key is refused from the next request on. The rest (listen, state_dir,
/// store, policy, executors, notify, audit, …) is read at start only; a reload names what it left.
public enum ConfigurationReload {
    /// Reads `path` again and puts what can change into force on `gateway`. Nothing changes when
    /// the file does not load, or when a pool of the active policy would be left without a member.
    ///
    /// - Returns: the settings that differ from `running` but need a restart.
    @discardableResult
    public static func apply(file path: String, to gateway: Gateway, running: GatewayConfiguration)
        throws(ConfigurationError) -> [String]
    {
        let next = try GatewayConfiguration.load(file: path)
        if let pack = gateway.activePack {
            let members = Set(next.principals.principals.flatMap(\.pools))
            if let missing = pack.pools.first(where: { !members.contains($0.name) }) {
                throw ConfigurationError(
                    file: path,
                    message: "no principal would belong to pool '\(missing.name)' of the active policy; nothing was reloaded")
            }
        }
        gateway.replacePrincipals(next.principals)
        gateway.admission.configure(limits: next.limits, rates: next.rateLimits)
        var left: [String] = []
        if (next.host, next.port) != (running.host, running.port) { left.append("listen") }
        if next.stateDirectory != running.stateDirectory { left.append("state_dir") }
        if next.policyPath != running.policyPath { left.append("policy") }
        if next.postgres != running.postgres || next.synchronousFull != running.synchronousFull { left.append("store") }
        if (next.checkpointEvery, next.checkpointSeconds) != (running.checkpointEvery, running.checkpointSeconds) {
            left.append("audit")
        }
        func ownTargets(_ configuration: GatewayConfiguration) -> [String: WebhookTarget] {
            Dictionary(uniqueKeysWithValues: configuration.principals.principals.compactMap { p in p.notify.map { (p.id, $0) } })
        }
        if next.notify != running.notify || ownTargets(next) != ownTargets(running) { left.append("notify") }
        return left
    }
}

/// Reloads the configuration file on SIGHUP (``ConfigurationReload``), logging what it did.
struct ConfigurationReloadService: Service {
    let gateway: Gateway
    let file: String
    let running: GatewayConfiguration
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            do {
                let left = try ConfigurationReload.apply(file: file, to: gateway, running: running)
                var metadata: Logger.Metadata = ["file": "\(file)", "principals": "\(gateway.principals.principals.count)"]
                if !left.isEmpty { metadata["restart_to_apply"] = "\(left.joined(separator: ", "))" }
                logger.notice("configuration reloaded: principals, limits and rate limits", metadata: metadata)
            } catch {
                logger.error("configuration not reloaded; the running one stays in force", metadata: ["error": "\(error)"])
            }
        }
    }
}
