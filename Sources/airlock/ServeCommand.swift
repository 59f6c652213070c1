import AirlockCore
import AirlockEngine
import AirlockServer
import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// `airlock serve`: the gateway, on the embedded defaults or a configuration file.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway (embedded defaults, or --config airlock.yaml)."
    )

    @Option(help: "Configuration file (listen, state_dir, policy, principals, …).")
    var config: String?

    @Option(help: "State directory for the embedded defaults (ignored with --config).")
    var stateDir = ".airlock"

    @Option(
        help: ArgumentHelp(
            "Policy pack for the embedded defaults (ignored with --config); e.g. examples/escalation, whose SLAs are 2 minutes.",
            valueName: "PATH"))
    var policy: String?

    @Option(help: "Listen address HOST:PORT, overriding the configuration.")
    var listen: String?

    @Option(
        name: .customLong("log-format"),
        help: ArgumentHelp("Log lines as text or as one JSON object per line (also $AIRLOCK_LOG_FORMAT).", valueName: "text|json"))
    var logFormat: String?

    func validate() throws {
        let chosen = logFormat ?? ProcessInfo.processInfo.environment["AIRLOCK_LOG_FORMAT"] ?? "text"
        guard JSONLogHandler.Format(rawValue: chosen) != nil else {
            throw ValidationError("--log-format must be text or json, not '\(chosen)'")
        }
    }

    func run() async throws {
        let chosen = logFormat ?? ProcessInfo.processInfo.environment["AIRLOCK_LOG_FORMAT"] ?? "text"
        let format = JSONLogHandler.Format(rawValue: chosen) ?? .text
        JSONLogHandler.bootstrap(format)
        // With JSON logs every line of standard output is a JSON object, these too.
        let json = format == .json
        let say: @Sendable (String) -> Void = { line in
            FileHandle.standardOutput.write(Data(((json ? JSONLogHandler.line(line) : line) + "\n").utf8))
        }
        var configuration: GatewayConfiguration
        do {
            configuration = try config.map { path throws(ConfigurationError) in try GatewayConfiguration.load(file: path) }
                ?? GatewayConfiguration.embeddedDefaults(stateDirectory: stateDir, policy: policy)
        } catch {
            FileHandle.standardError.write(Data("airlock: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        if let listen {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen must be HOST:PORT")
            }
            configuration.host = String(listen[..<colon])
            configuration.port = port
        }
        let isDefault = config == nil
        let (host, port) = (configuration.host, configuration.port)
        do {
            // With a configuration file, SIGHUP reads it again (principals, limits, rate limits).
            let built = try await buildApplication(configuration, reloadFile: config) { channel in
                let address = channel.localAddress
                say("airlock listening on http://\(address?.ipAddress ?? host):\(address?.port ?? port)")
            }
            let pack = built.parts.gateway.activePack ?? built.parts.pack
            say("policy \(pack.name) version \(pack.version)")
            say("state in \(configuration.stateDirectory)/ (configuration: \(configuration.source))")
            if let postgres = configuration.postgres { say("store: PostgreSQL \(postgres.redactedURL)") }
            if isDefault {
                let key = DemoPrincipals.variable(for: "agent-7")
                say("demo keys in \(configuration.stateDirectory)/demo-credentials; try:")
                say(
                    "  . \(configuration.stateDirectory)/demo-credentials && curl -s -X POST http://\(configuration.host):\(configuration.port)/v1/mutations -H \"Authorization: Bearer $\(key)\" -H 'Content-Type: application/json' -d '{\"resource\":\"payments.transfer\",\"operation\":\"create\",\"changes\":{\"amount\":120.0,\"currency\":\"USD\",\"from_account\":\"acc-100200\",\"to_account\":\"acc-100001\"}}'"
                )
            }
            try await built.application.runService()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("airlock: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// Prints a line at once (standard output may be a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
