import Foundation
import NIOCore
import NIOPosix

/// Keep-alive HTTP/1.1 clients, one connection each, sending back to back (or paced to a rate).
///
/// Each client is a plain channel handler on one event loop: it writes a request, reads the
/// answer (status line, `content-length`, body) and writes the next, so that the load generator
/// costs the shared cores as little as it can and the measurement is of the server.
struct LoadGenerator: Sendable {
    let group: MultiThreadedEventLoopGroup
    /// The servers' ports: client `i` talks to `ports[i % ports.count]`.
    let ports: [Int]
    let keys: [String]
    let highShare: Double
    /// Votes: each client submits a high-tier mutation, then approves it with these reviewers'
    /// keys in turn until it is no longer pending; only the votes are counted and timed.
    var reviewerKeys: [String] = []
    /// Decisions (or, with reviewers, mutations voted through) per second across all clients;
    /// nil sends back to back. A paced request's latency counts from when it was due, so a
    /// server falling behind shows in it.
    var rate: Double?

    struct Result: Sendable {
        var completed = 0
        var errors = 0
        var lowTier = 0
        var latencies: [UInt32] = []  // microseconds, every decision
        var otherTierLatencies: [UInt32] = []  // microseconds, decisions not of the low tier
        var elapsed = 0.0
        var firstError: String?

        /// Counts another client's or interval's answers in with these (elapsed times add up).
        mutating func add(_ other: Result) {
            completed += other.completed
            errors += other.errors
            lowTier += other.lowTier
            latencies += other.latencies
            otherTierLatencies += other.otherTierLatencies
            elapsed += other.elapsed
            firstError = firstError ?? other.firstError
        }
    }

    func run(clients: Int, seconds: Double) async throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var futures: [EventLoopFuture<Result>] = []
        for client in 0..<clients {
            let promise = group.next().makePromise(of: Result.self)
            let handler = ClientHandler(
                client: client, key: keys[client % keys.count], highShare: highShare, reviewerKeys: reviewerKeys,
                interval: rate.map { UInt64(Double(clients) / $0 * 1e9) } ?? 0, end: end, done: promise)
            let connected = ClientBootstrap(group: group)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                .connect(host: "127.0.0.1", port: ports[client % ports.count])
            connected.whenFailure { promise.fail($0) }
            futures.append(promise.futureResult)
        }
        var total = Result()
        for future in futures {
            total.add(try await future.get())
        }
        total.elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return total
    }
}

/// One keep-alive connection sending a request, awaiting its answer, and sending the next.
private final class ClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client: Int
    private let key: String
    private let highShare: Double
    private let reviewerKeys: [String]
    /// Nanoseconds between two of this client's mutations when paced; 0 back to back.
    private let interval: UInt64
    private let end: UInt64
    private let done: EventLoopPromise<Result>
    private var result = Result()
    private var received: ByteBuffer?
    private var sequence = 0
    private var sentAt: UInt64 = 0
    /// When the next paced mutation is due.
    private var dueAt: UInt64 = 0
    private var finished = false
    /// In the votes mode: the mutation being voted on, and the reviewer voting next.
    private var voting: (id: String, reviewer: Int)?

    typealias Result = LoadGenerator.Result

    init(
        client: Int, key: String, highShare: Double, reviewerKeys: [String], interval: UInt64, end: UInt64,
        done: EventLoopPromise<Result>
    ) {
        self.client = client
        self.key = key
        self.highShare = highShare
        self.reviewerKeys = reviewerKeys
        self.interval = interval
        self.end = end
        self.done = done
        result.latencies.reserveCapacity(16_384)
    }

    func channelActive(context: ChannelHandlerContext) {
        // Paced clients start spread over one interval, not all at once.
        dueAt = DispatchTime.now().uptimeNanoseconds + (interval == 0 ? 0 : UInt64(client) * 7919 % interval)
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil {
            received = bytes
        } else {
            received!.writeBuffer(&bytes)
        }
        while let (status, body) = nextResponse() {
            let now = DispatchTime.now().uptimeNanoseconds
            let micros = UInt32(min((now - sentAt) / 1000, UInt64(UInt32.max)))
            if reviewerKeys.isEmpty {
                countDecision(status: status, body: body, micros: micros)
            } else if !countVote(status: status, body: body, micros: micros, context: context) {
                continue  // the next vote on this mutation went out
            }
            if DispatchTime.now().uptimeNanoseconds < end {
                sendNext(context: context)
            } else {
                finish(context: context)
            }
        }
    }

    private func countDecision(status: Int, body: String, micros: UInt32) {
        if status == 201 {
            result.completed += 1
            result.latencies.append(micros)
            if body.contains("\"tier\":\"low\"") {
                result.lowTier += 1
            } else {
                result.otherTierLatencies.append(micros)
            }
        } else {
            noteError(status, body)
        }
    }

    /// Counts an answer in the votes mode; false when it sent the next vote on the same mutation.
    private func countVote(status: Int, body: String, micros: UInt32, context: ChannelHandlerContext) -> Bool {
        guard let voting else {
            // The submission: vote on it at once (not paced, not timed).
            guard status == 201, let id = Self.field("id", in: body) else {
                noteError(status, body)
                return true
            }
            self.voting = (id, 0)
            sendVote(on: id, by: 0, context: context)
            return false
        }
        guard status == 200 else {
            noteError(status, body)
            self.voting = nil
            return true
        }
        result.completed += 1
        result.latencies.append(micros)
        if body.contains("\"status\":\"pending_review\""), voting.reviewer + 1 < reviewerKeys.count {
            self.voting = (voting.id, voting.reviewer + 1)
            sendVote(on: voting.id, by: voting.reviewer + 1, context: context)
            return false
        }
        self.voting = nil
        return true
    }

    private func noteError(_ status: Int, _ body: String) {
        result.errors += 1
        if result.firstError == nil { result.firstError = "\(status): \(body.prefix(300))" }
    }

    /// A string field's value in a JSON body (the first `"name":"…"`).
    private static func field(_ name: String, in body: String) -> String? {
        guard let start = body.range(of: "\"\(name)\":\"") else { return nil }
        guard let end = body[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(body[start.upperBound..<end])
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done.fail(ChannelError.eof)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !finished {
            finished = true
            done.fail(error)
        }
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        finished = true
        done.succeed(result)
        context.close(promise: nil)
    }

    /// Sends the next mutation: at once, or when it is due when paced.
    private func sendNext(context: ChannelHandlerContext) {
        guard interval > 0 else {
            send(context: context, at: DispatchTime.now().uptimeNanoseconds)
            return
        }
        let due = dueAt
        dueAt += interval
        let now = DispatchTime.now().uptimeNanoseconds
        guard due > now else {
            send(context: context, at: due)  // behind: at once, timed from when it was due
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(Int64(due - now))) { [self] in
            send(context: loopBound.value, at: due)
        }
    }

    private func send(context: ChannelHandlerContext, at due: UInt64) {
        sequence += 1
        let body =
            reviewerKeys.isEmpty
            ? Self.body(client: client, sequence: sequence, highShare: highShare) : Self.body(client: client, sequence: 0, highShare: 1)
        write(context: context, path: "/v1/mutations", key: key, body: body)
        sentAt = due
    }

    private func sendVote(on id: String, by reviewer: Int, context: ChannelHandlerContext) {
        write(context: context, path: "/v1/mutations/\(id)/approve", key: reviewerKeys[reviewer], body: "{}")
        sentAt = DispatchTime.now().uptimeNanoseconds
    }

    private func write(context: ChannelHandlerContext, path: String, key: String, body: String) {
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    /// The next complete answer in the buffer: its status code and body; nil until one is whole.
    private func nextResponse() -> (Int, String)? {
        guard var buffer = received else { return nil }
        let view = buffer.readableBytesView
        guard let headEnd = Self.find([13, 10, 13, 10], in: view) else { return nil }
        let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
        let bodyStart = headEnd + 4
        var length = 0
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        guard view.endIndex - bodyStart >= length else { return nil }
        let statusText = head.split(separator: " ", maxSplits: 2).dropFirst().first ?? ""
        let body = String(decoding: view[bodyStart..<(bodyStart + length)], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: bodyStart + length - view.startIndex)
        received = buffer.readableBytes == 0 ? nil : buffer
        return (Int(statusText) ?? 0, body)
    }

    private static func find(_ needle: [UInt8], in view: ByteBufferView) -> Int? {
        guard view.count >= needle.count else { return nil }
        var i = view.startIndex
        while i <= view.endIndex - needle.count {
            if view[i] == needle[0] && view[i + 1] == needle[1] && view[i + 2] == needle[2] && view[i + 3] == needle[3] {
                return i
            }
            i += 1
        }
        return nil
    }

    /// Mostly low-tier stock updates; a share of high-tier large transfers, spread over the run
    /// (a client's share is not sent in a run of consecutive requests, nor all clients' at once).
    static func body(client: Int, sequence: Int, highShare: Double) -> String {
        if Double((client &* 7919 &+ sequence &* 104_729) % 1000) < highShare * 1000 {
            return #"{"resource":"payments.transfer","operation":"create","changes":{"amount":25000.0,"currency":"USD","from_account":"acc-100001","to_account":"acc-200002"}}"#
        }
        let product = "prod-" + String(100_000 + (client * 7919 + sequence) % 900_000)
        return #"{"resource":"catalog.product","operation":"update","target":"\#(product)","changes":{"stock":\#(sequence % 500)}}"#
    }
}
