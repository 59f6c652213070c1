import ArgumentParser
import Foundation

/// The options every client command shares: which server, which key, which output.
///
/// The key is never an argument (a command line is visible to every user through `ps`): it is
/// read from `AIRLOCK_KEY`, or from the variable `--key-env` names.
struct ClientOptions: ParsableArguments {
    /// The environment variable the key is read from unless `--key-env` names another.
    static let defaultKeyVariable = "AIRLOCK_KEY"
    /// The server used when neither `--url` nor `AIRLOCK_URL` says otherwise.
    static let defaultURL = "http://127.0.0.1:8080"

    @Option(help: ArgumentHelp("The server's URL (default: $AIRLOCK_URL, else \(defaultURL)).", valueName: "URL"))
    var url: String?

    @Option(
        help: ArgumentHelp(
            "The environment variable holding the bearer key (default: AIRLOCK_KEY). Keys are never taken on the command line.",
            valueName: "NAME"))
    var keyEnv: String?

    @Flag(help: "Print the server's JSON answer instead of tables, for scripts.")
    var json = false

    /// A client for the chosen server and key, or why there cannot be one.
    func makeClient(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ClientError) -> APIClient {
        let text = url ?? environment["AIRLOCK_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultURL
        var trimmed = Substring(text)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let base = URL(string: String(trimmed)), let scheme = base.scheme?.lowercased(),
            scheme == "http" || scheme == "https", base.host != nil, base.query == nil
        else {
            throw .setup("not a server URL: '\(text)' (expected http://HOST:PORT or https://HOST:PORT)")
        }
        let variable = keyEnv ?? Self.defaultKeyVariable
        guard let key = environment[variable], !key.isEmpty else {
            let hint =
                keyEnv == nil
                ? "set AIRLOCK_KEY to your bearer key, or name the variable that holds it with --key-env NAME"
                : "--key-env names the variable that holds the key"
            throw .setup("no API key: $\(variable) is not set or empty (\(hint))")
        }
        guard !key.contains(where: { $0.isNewline || $0 == " " }) else {
            throw .setup("the key in $\(variable) contains spaces or line breaks; it must be the key alone")
        }
        return APIClient(baseURL: base, key: key)
    }

    /// Runs a command's work against the server, turning a failure into its message on standard
    /// error (and, with `--json`, the server's problem on standard output) and its exit status.
    func run(_ work: (APIClient) async throws(ClientError) -> Void) async throws {
        do throws(ClientError) {
            try await work(try makeClient())
        } catch {
            if json {
                switch error {
                case .refused(let problem), .stale(_, let problem): Console.write(problem.body)
                default: break
                }
            }
            Console.error(error.lines)
            throw error.exitCode
        }
    }
}
