import AirlockEngine
import CEL
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client of the gateway's HTTP API: one server, one bearer key. Answers in 2xx come back as
/// JSON; every other answer is thrown as ``ClientError/refused(_:)`` with the server's problem.
struct APIClient: Sendable {
    /// The server's base URL, without a trailing slash (`http://127.0.0.1:8080`).
    let baseURL: URL
    private let key: String
    private let session: URLSession

    /// A successful answer: its status, its body as received, and the body read as JSON.
    struct Answer: Sendable {
        var status: Int
        var body: Data
        var json: Value
    }

    /// A client of the server at `baseURL`, authenticating with `key`.
    init(baseURL: URL, key: String) {
        self.baseURL = baseURL
        self.key = key
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = 90
        self.session = URLSession(configuration: configuration)
    }

    /// `GET path?query`. `timeout` bounds the whole exchange (long polls pass more).
    func get(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 30) async throws(ClientError) -> Answer {
        try await send("GET", path, query: query, body: nil, headers: [:], timeout: timeout)
    }

    /// `POST path` with a JSON body.
    func post(_ path: String, json body: Value, headers: [String: String] = [:]) async throws(ClientError) -> Answer {
        try await send("POST", path, query: [], body: Data(body.jsonString().utf8), headers: headers, timeout: 30)
    }

    /// `DELETE path`.
    func delete(_ path: String) async throws(ClientError) -> Answer {
        try await send("DELETE", path, query: [], body: nil, headers: [:], timeout: 30)
    }

    /// One exchange. `path` is below the base URL and already escaped (see ``pathSegment(_:)``).
    private func send(
        _ method: String, _ path: String, query: [(String, String)], body: Data?, headers: [String: String],
        timeout: TimeInterval
    ) async throws(ClientError) -> Answer {
        let url = url(path, query: query)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json, application/problem+json", forHTTPHeaderField: "Accept")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.cancellableData(for: request)
        } catch {
            throw .unreachable(url: baseURL.absoluteString, reason: Self.reason(error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw .unexpectedAnswer(url: url.absoluteString, status: 0, reason: "not an HTTP answer")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw .refused(ServerProblem(status: http.statusCode, body: data))
        }
        do {
            return Answer(status: http.statusCode, body: data, json: try Value(json: String(decoding: data, as: UTF8.self)))
        } catch {
            throw .unexpectedAnswer(url: url.absoluteString, status: http.statusCode, reason: "the body is not JSON (\(error))")
        }
    }

    private func url(_ path: String, query: [(String, String)]) -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath = components.percentEncodedPath + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return components.url!
    }

    /// One path segment, escaped so an id can never reach another route.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A short reason for a transport failure ("connection refused", "timed out").
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? URLError else { return error.localizedDescription }
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "unknown host"
        case .timedOut: return "no answer in time"
        case .networkConnectionLost: return "the connection was closed"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS failed (\(error.localizedDescription))"
        default: return error.localizedDescription
        }
    }
}
