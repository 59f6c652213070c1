import CEL
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A tiny service of JSON records on 127.0.0.1, started by a test: `POST /items/{id}` creates,
/// `PATCH` merges, `PUT` replaces (or re-creates), `DELETE` deletes, `GET` reads (404 when
/// absent). Writes are deduplicated by `Idempotency-Key` (a repeat gets the first answer and
/// changes nothing). It records every call, and can be told to answer the next calls with given
/// statuses (without applying them), to refuse the writes of an item (answered and remembered
/// under their key like any answer, as a real service would), or to stall one call past the
/// client's timeout.
final class RecordService: Sendable {
    struct Call: Sendable {
        var method: String
        var path: String
        var idempotencyKey: String?
        var signature: String?
        var body: [UInt8]
        var deduplicated: Bool
    }

    actor State {
        var records: [String: CELMap] = [:]
        var calls: [Call] = []
        var scripted: [Int] = []
        /// Statuses the next reads (GET) answer with, in order.
        var scriptedReads: [Int] = []
        var stallNext: Duration?
        var answers: [String: (status: Int, body: String)] = [:]
        /// Statuses refusing writes, by `METHOD id` or by `id` (every write method).
        var refusals: [String: Int] = [:]

        func record(_ call: Call) { calls.append(call) }
        func script(_ statuses: [Int]) { scripted += statuses }
        func scriptReads(_ statuses: [Int]) { scriptedReads += statuses }
        func takeScriptedRead() -> Int? { scriptedReads.isEmpty ? nil : scriptedReads.removeFirst() }
        func stall(_ duration: Duration) { stallNext = duration }
        /// While holding, every write waits, unanswered, until ``stopHolding()``.
        var holding = false
        private var held: [CheckedContinuation<Void, Never>] = []
        /// Writes waiting now, and the most that ever waited at once.
        var heldNow: Int { held.count }
        private(set) var mostHeld = 0
        func hold() { holding = true }
        func stopHolding() {
            holding = false
            for waiter in held { waiter.resume() }
            held = []
        }
        func waitWhileHolding() async {
            guard holding else { return }
            await withCheckedContinuation { continuation in
                held.append(continuation)
                mostHeld = max(mostHeld, held.count)
            }
        }
        func set(_ id: String, _ record: CELMap?) { records[id] = record }
        /// Refuses the writes to an item (only those of `method`, when given) with `status`;
        /// `nil` stops refusing.
        func refuse(_ id: String, method: String? = nil, with status: Int?) {
            refusals[method.map { "\($0) \(id)" } ?? id] = status
        }
        func refusal(_ method: String, _ id: String) -> Int? { refusals["\(method) \(id)"] ?? refusals[id] }

        func takeScripted() -> Int? { scripted.isEmpty ? nil : scripted.removeFirst() }
        func takeStall() -> Duration? {
            defer { stallNext = nil }
            return stallNext
        }
        func answer(for key: String?) -> (status: Int, body: String)? { key.flatMap { answers[$0] } }
        func remember(_ answer: (status: Int, body: String), for key: String?) {
            if let key { answers[key] = answer }
        }
    }

    let state: State
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, state: State, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    /// The base URL, e.g. `http://127.0.0.1:51234`.
    var base: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` with a started service, and stops it afterwards.
    static func with<T: Sendable>(_ body: (RecordService) async throws -> T) async throws -> T {
        let state = State()
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/items/{id}", method: method) { request, context in
                let id = context.parameters.get("id") ?? ""
                let body = try await request.body.collect(upTo: 1 << 20)
                return await handle(request, id: id, body: Array(body.readableBytesView), state: state)
            }
        }
        let (port, task) = await Loopback.serve(router, label: "record-service")
        let service = RecordService(port: port, state: state, task: task)
        do {
            let result = try await body(service)
            task.cancel()
            _ = await task.result
            return result
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
    }

    // MARK: Handling

    private static func handle(_ request: Request, id: String, body: [UInt8], state: State) async -> Response {
        let method = request.method.rawValue
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let signature = request.headers[HTTPField.Name("X-Airlock-Signature")!]
        if method != "GET", let previous = await state.answer(for: key) {
            await state.record(Call(method: method, path: "/items/\(id)", idempotencyKey: key, signature: signature, body: body, deduplicated: true))
            return response(previous.status, previous.body)
        }
        await state.record(Call(method: method, path: "/items/\(id)", idempotencyKey: key, signature: signature, body: body, deduplicated: false))
        if method == "GET", let status = await state.takeScriptedRead() {
            return response(status, #"{"error":"scripted \#(status)"}"#)
        }
        if method != "GET" {
            await state.waitWhileHolding()
            if let stall = await state.takeStall() {
                try? await Task.sleep(for: stall)
                return response(503, #"{"error":"stalled"}"#)
            }
            if let status = await state.takeScripted() { return response(status, #"{"error":"scripted \#(status)"}"#) }
        }
        let answer: (status: Int, body: String)
        if method != "GET", let status = await state.refusal(method, id) {
            answer = (status, #"{"error":"refused \#(status)"}"#)
        } else {
            answer = await apply(method, id: id, body: body, state: state)
        }
        if method != "GET", (200...499).contains(answer.status) { await state.remember(answer, for: key) }
        return response(answer.status, answer.body)
    }

    private static func apply(_ method: String, id: String, body: [UInt8], state: State) async -> (status: Int, body: String) {
        let current = await state.records[id]
        var fields = CELMap()
        if method != "GET", method != "DELETE" {
            guard case .map(let map)? = try? Value(json: String(decoding: body, as: UTF8.self)) else {
                return (400, #"{"error":"body must be a JSON object"}"#)
            }
            fields = map
        }
        switch method {
        case "GET":
            guard let current else { return (404, #"{"error":"no such item"}"#) }
            return (200, Value.map(current).jsonString())
        case "POST":
            guard current == nil else { return (409, #"{"error":"exists"}"#) }
            await state.set(id, fields)
            return (201, Value.map(fields).jsonString())
        case "PATCH":
            guard var record = current else { return (404, #"{"error":"no such item"}"#) }
            for (key, value) in fields.entries { record[key] = value }
            await state.set(id, record)
            return (200, Value.map(record).jsonString())
        case "PUT":
            await state.set(id, fields)
            return (200, Value.map(fields).jsonString())
        default:
            guard current != nil else { return (404, #"{"error":"no such item"}"#) }
            await state.set(id, nil)
            return (204, "")
        }
    }

    private static func response(_ status: Int, _ body: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
