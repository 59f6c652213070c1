import ArgumentParser
import Foundation

/// Why a client command failed, and the exit status that tells a script which kind of failure
/// it was: the server refused (1), it could not be reached (69), its answer made no sense (76),
/// or the client is not set up (78).
enum ClientError: Error, Sendable {
    /// The server answered with a problem.
    case refused(ServerProblem)
    /// The server refused a vote because the mutation changed since the reviewer looked: what
    /// changed and what to do, and the server's problem.
    case stale([String], problem: ServerProblem)
    /// No connection, or no answer in time.
    case unreachable(url: String, reason: String)
    /// An answer that is not the JSON the API promises.
    case unexpectedAnswer(url: String, status: Int, reason: String)
    /// A local setting is missing or wrong (no key, a bad URL).
    case setup(String)

    /// The exit status (sysexits.h numbers beyond the plain refusal).
    var exitCode: ExitCode {
        switch self {
        case .refused, .stale: .failure
        case .unreachable: ExitCode(69)
        case .unexpectedAnswer: ExitCode(76)
        case .setup: ExitCode(78)
        }
    }

    /// What went wrong, for standard error.
    var lines: [String] {
        switch self {
        case .refused(let problem):
            return problem.lines
        case .stale(let lines, _):
            return lines
        case .unreachable(let url, let reason):
            return [
                "cannot reach the Airlock server at \(url): \(reason)",
                "is `airlock serve` running there? Point the client elsewhere with --url or AIRLOCK_URL.",
            ]
        case .unexpectedAnswer(let url, let status, let reason):
            return ["unexpected answer from \(url) (HTTP \(status)): \(reason)"]
        case .setup(let message):
            return [message]
        }
    }
}
