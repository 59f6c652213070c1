import AirlockMCP
import ArgumentParser
import Foundation
import Logging
import MCP
import SystemPackage

/// `airlock mcp serve` and `airlock mcp proxy`: Airlock for AI agents that reach their tools
/// through the Model Context Protocol.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Airlock for AI agents, over the Model Context Protocol.",
        subcommands: [MCPServeCommand.self, MCPProxyCommand.self])
}

/// Logs go to standard error: standard output carries the protocol.
private func stderrLogger(_ label: String) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
    return logger
}

struct MCPServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The gateway as MCP tools on standard input and output (propose_mutation, get_mutation, list_resources).",
        discussion: """
            A client of the Airlock server at --url (or AIRLOCK_URL): the tools act as the principal whose key is \
            in AIRLOCK_KEY (never a tool argument). The same tools are served over streamable HTTP at /mcp by \
            `airlock serve`, as the principal of each request's bearer key.
            """)

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try options.makeClient()
        let server = await GatewayTools.makeServer(backend: HTTPBackend(client: client))
        try await server.start(transport: StdioTransport(logger: stderrLogger("airlock.mcp")))
        await server.waitUntilCompleted()
    }
}

struct MCPProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Front an MCP server: every call of a mapped tool is a mutation, forwarded only once Airlock approves it.",
        discussion: """
            Starts the upstream (run by /bin/sh -c), lists its tools as its own, and serves them on standard \
            input and output. The mapping (--mapping FILE) says which tools mutate what; unmapped tools are \
            refused unless it says `unmapped: pass`. Mutations are proposed to the server at --url as the \
            principal of AIRLOCK_KEY.
            """)

    @Option(help: ArgumentHelp("The upstream MCP server's command line, run by /bin/sh -c.", valueName: "COMMAND ARGS"))
    var upstream: String

    @Option(help: ArgumentHelp("Which tools mutate what (YAML: wait_seconds, unmapped, tools).", valueName: "FILE"))
    var mapping: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let logger = stderrLogger("airlock.mcp.proxy")
        var rules = ProxyMapping()
        if let mapping {
            do {
                rules = try ProxyMapping.parse(try String(contentsOfFile: mapping, encoding: .utf8), file: mapping)
            } catch {
                FileHandle.standardError.write(Data("airlock mcp proxy: \(error)\n".utf8))
                throw ExitCode(78)
            }
        }
        let client = try options.makeClient()

        // The upstream speaks MCP on its standard input and output.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", upstream]
        let toUpstream = Pipe()
        let fromUpstream = Pipe()
        process.standardInput = toUpstream
        process.standardOutput = fromUpstream
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("airlock mcp proxy: cannot start the upstream '\(upstream)': \(error)\n".utf8))
            throw ExitCode(69)
        }
        defer { if process.isRunning { process.terminate() } }
        let upstreamTransport = StdioTransport(
            input: FileDescriptor(rawValue: fromUpstream.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toUpstream.fileHandleForWriting.fileDescriptor),
            logger: logger)
        let upstreamClient = Client(name: "airlock-proxy", version: "1")
        do {
            _ = try await upstreamClient.connect(transport: upstreamTransport)
        } catch {
            FileHandle.standardError.write(Data("airlock mcp proxy: the upstream '\(upstream)' did not answer as an MCP server: \(error)\n".utf8))
            throw ExitCode(69)
        }
        let proxy = MCPProxy(upstream: upstreamClient, backend: HTTPBackend(client: client), mapping: rules, logger: logger)
        let server = await proxy.makeServer()
        try await server.start(transport: StdioTransport(logger: logger))
        await server.waitUntilCompleted()
        await upstreamClient.disconnect()
    }
}
