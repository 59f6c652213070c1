import AirlockCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A webhook receiver on 127.0.0.1, started by a test: it records every delivery, checks its
/// signature with its own HMAC (not Airlock's code), and answers 200 — or the statuses a test
/// scripts, or 503 while it is told to be down.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var eventID: String
        var kind: String
        var timestamp: String
        var signatureValid: Bool
        var bytes: [UInt8]
        var status: Int

        /// The body as JSON.
        var body: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:] }

        var text: String { body["text"] as? String ?? "" }
    }

    actor State {
        var deliveries: [Delivery] = []
        var down = false
        var stall: Duration?
        func record(_ delivery: Delivery) { deliveries.append(delivery) }
        func setDown(_ value: Bool) { down = value }
        func setStall(_ value: Duration?) { stall = value }
    }

    let state: State
    let port: Int
    let secret: String
    private let task: Task<Void, any Error>

    private init(port: Int, secret: String, state: State, task: Task<Void, any Error>) {
        self.port = port
        self.secret = secret
        self.state = state
        self.task = task
    }

    /// The URL deliveries go to.
    var url: String { "http://127.0.0.1:\(port)/hooks" }

    /// What the receiver answered 2xx to.
    var accepted: [Delivery] { get async { await state.deliveries.filter { (200...299).contains($0.status) } } }
    var all: [Delivery] { get async { await state.deliveries } }

    /// Starts a receiver with this secret; stop it with ``stop()``.
    static func start(secret: String = "whsec-test") async throws -> WebhookReceiver {
        let state = State()
        let router = Router()
        router.post("/hooks") { request, _ in
            let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            let header = { (name: String) in request.headers[HTTPField.Name(name)!] ?? "" }
            let timestamp = header("X-Airlock-Timestamp")
            let expected = HMAC<Crypto.SHA256>.authenticationCode(
                for: Array((timestamp + ".").utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
            let valid = header("X-Airlock-Signature") == "sha256=" + expected.map { String(format: "%02x", $0) }.joined()
            if let stall = await state.stall { try? await Task.sleep(for: stall) }
            let status = await state.down ? 503 : 200
            await state.record(
                Delivery(
                    eventID: header("X-Airlock-Event-Id"), kind: header("X-Airlock-Event"), timestamp: timestamp,
                    signatureValid: valid, bytes: body, status: status))
            return Response(status: .init(code: status))
        }
        let (port, task) = await Loopback.serve(router, label: "webhook-receiver")
        return WebhookReceiver(port: port, secret: secret, state: state, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}
