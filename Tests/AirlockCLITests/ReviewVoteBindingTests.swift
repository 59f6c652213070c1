import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import AirlockTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `airlock review approve|reject` binds the vote to the mutation it read: it sends the content
/// hash and policy version it fetched, and a 409 for a stale view says to look again. The built
/// binary talks to a real server through a proxy that, once, shows it an older content hash (as
/// if the mutation had changed since the reviewer looked).
// (The limit catches a hang: it includes the wait for a shared-resources slot, which a loaded
// run once stretched past 190 s.)
@Suite(.timeLimit(.minutes(5)), .sharedResources)
struct ReviewVoteBindingTests {
    typealias CLI = CLIClientTests.CLI
    typealias Key = CLIClientTests.Key
    static let staleHash = String(repeating: "0", count: 64)
    static let transfer = [
        "submit", "--json", "--resource", "payments.transfer", "--operation", "create", "--set", "amount=25000", "--set",
        "currency=USD", "--set", "from_account=acc-100200", "--set", "to_account=acc-200300",
    ]

    @Test("approve sends the content hash and policy version it fetched, and the server accepts them")
    func sendsWhatItFetched() async throws {
        try await CLIClientTests.Server.with { url in
            try await Proxy.with(upstream: url, staleViews: 0) { proxy, proxied in
                let submitted = try await CLI.run(Self.transfer, url: url, key: Key.agent)
                let id = try #require(submitted.json?["id"] as? String, "\(submitted)")
                let hash = try #require(submitted.json?["content_hash"] as? String)
                let version = try #require(submitted.json?["policy_version"] as? String)
                let approved = try await CLI.run(["review", "approve", id], url: proxied, key: Key.alice)
                #expect(approved.status == 0, "\(approved)")
                #expect(approved.stdout.contains("approved \(id): now pending_review"), "\(approved)")
                let votes = proxy.votes
                #expect(votes.count == 1)
                #expect(votes.first?["content_hash"] as? String == hash)
                #expect(votes.first?["policy_version"] as? String == version)
            }
        }
    }

    @Test("a vote for a view that is no longer current is refused, and says to look again")
    func staleViewIsRefused() async throws {
        try await CLIClientTests.Server.with { url in
            try await Proxy.with(upstream: url, staleViews: 1) { proxy, proxied in
                let submitted = try await CLI.run(Self.transfer, url: url, key: Key.agent)
                let id = try #require(submitted.json?["id"] as? String, "\(submitted)")
                let hash = try #require(submitted.json?["content_hash"] as? String)
                let rejected = try await CLI.run(["review", "reject", id, "--note", "no"], url: proxied, key: Key.alice)
                #expect(rejected.status == 1, "\(rejected)")
                #expect(rejected.stdout.isEmpty)
                #expect(
                    rejected.stderr.contains(
                        "the mutation changed since you looked: its content is \(hash.prefix(12))…, not \(Self.staleHash.prefix(12))…"),
                    "\(rejected)")
                #expect(rejected.stderr.contains("run `airlock review show \(id)` again"), "\(rejected)")
                #expect(rejected.stderr.contains("409"), "\(rejected)")
                #expect(proxy.votes.first?["content_hash"] as? String == Self.staleHash)
                // Nothing was recorded: the mutation still waits for review.
                let status = try await CLI.run(["status", id], url: url, key: Key.agent)
                #expect(status.stdout.contains("\(id)  pending_review"), "\(status)")
            }
        }
    }

    /// Forwards every request to the server and keeps the vote bodies; the first `staleViews`
    /// reads of a mutation answer with ``staleHash`` as its content hash.
    final class Proxy: Sendable {
        private struct State {
            var votes: [Data] = []
            var staleViews: Int
        }
        private let state: Mutex<State>
        private let upstream: String

        private init(upstream: String, staleViews: Int) {
            self.upstream = upstream
            state = Mutex(State(staleViews: staleViews))
        }

        /// The JSON bodies of the votes that went through.
        var votes: [[String: Any]] {
            state.withLock { state in state.votes }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }

        static func with(
            upstream: String, staleViews: Int, _ body: @Sendable (Proxy, String) async throws -> Void
        ) async throws {
            let proxy = Proxy(upstream: upstream, staleViews: staleViews)
            var logger = Logger(label: "vote-proxy")
            logger.logLevel = .warning
            let application = Application(
                responder: CallbackResponder<BasicRequestContext> { request, _ in try await proxy.forward(request) },
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            try await application.test(.live) { client in
                let port = try #require(client.port)
                try await body(proxy, "http://127.0.0.1:\(port)")
            }
        }

        private func forward(_ request: Request) async throws -> Response {
            let bytes = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            let path = request.uri.description
            let isVote = request.method == .post && (path.hasSuffix("/approve") || path.hasSuffix("/reject"))
            if isVote { state.withLock { $0.votes.append(bytes) } }
            var call = URLRequest(url: URL(string: upstream + path)!)
            call.httpMethod = request.method.rawValue
            for field in request.headers where field.name != .contentLength {
                call.addValue(field.value, forHTTPHeaderField: field.name.rawName)
            }
            if !bytes.isEmpty { call.httpBody = bytes }
            let (data, answer) = try await URLSession.shared.data(for: call)
            let status = (answer as? HTTPURLResponse)?.statusCode ?? 502
            var body = data
            if request.method == .get, path.hasPrefix("/v1/mutations/mut_"), status == 200,
                state.withLock({ state in
                    guard state.staleViews > 0 else { return false }
                    state.staleViews -= 1
                    return true
                }),
                var mutation = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                mutation["content_hash"] = ReviewVoteBindingTests.staleHash
                body = try JSONSerialization.data(withJSONObject: mutation)
            }
            var headers = HTTPFields()
            let type = (answer as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") ?? "application/json"
            headers[.contentType] = type
            return Response(
                status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
