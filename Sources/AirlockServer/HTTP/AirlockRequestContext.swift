import Hummingbird
import HummingbirdCore
import NIOCore
import Synchronization

/// The request context of Airlock's routes: Hummingbird's basic one, with the connection the
/// request came on, so that a long poll learns when its client is gone.
public struct AirlockRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension AirlockRequestContext {
    /// Runs `wait` until it ends or the client closes the connection, whichever is first; when
    /// the client goes first, `wait` is cancelled (a long poll then stops waiting and gives back
    /// its place among the principal's long polls at once, not when its time is up) and its
    /// answer, written to a closed connection, is dropped.
    ///
    /// Hummingbird does not cancel a handler whose client left: without this a client that gave
    /// up on its poll and asked again held two places, and a loop of such clients locked its
    /// principal out of long polls until the first ones' time ran out.
    func untilDisconnected<T: Sendable>(_ wait: @escaping @Sendable () async throws -> T) async throws -> T {
        let channel = self.channel
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await wait() }
            group.addTask {
                await Self.closed(channel)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                // The connection closed: stop the wait; its answer has nowhere to go.
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    /// Returns when the client of `channel` is gone (its side closed: ``ClientGoneHandler``; the
    /// connection closed), or at once when the task is cancelled.
    static func closed(_ channel: any Channel) async {
        let state = Mutex<(done: Bool, waiting: CheckedContinuation<Void, Never>?)>((false, nil))
        @Sendable func finish() {
            let waiting: CheckedContinuation<Void, Never>? = state.withLock { state in
                state.done = true
                defer { state.waiting = nil }
                return state.waiting
            }
            waiting?.resume()
        }
        // The server allows half-closed connections, so a client that closes its socket only
        // closes the input; the connection itself closes when the answer cannot be written.
        let gone: EventLoopFuture<Void> = channel.eventLoop.flatSubmit {
            (try? channel.pipeline.syncOperations.handler(type: ClientGoneHandler.self))?.gone ?? channel.closeFuture
        }
        gone.whenComplete { _ in finish() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.done { return true }
                    state.waiting = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            finish()
        }
    }
}

/// Notes when the client's side of a connection closes (`inputClosed`: the server allows
/// half-closed connections, so a client closing its socket does not close the channel) or the
/// channel goes: what a long poll waits on to stop when nobody is left to answer.
final class ClientGoneHandler: ChannelInboundHandler, RemovableChannelHandler {
    // Passed on as they are, never unwrapped: the request parts of Hummingbird's codec.
    typealias InboundIn = Any
    typealias InboundOut = Any

    private var promise: EventLoopPromise<Void>?
    /// Completed when the client is gone; only read on the channel's event loop.
    private(set) var gone: EventLoopFuture<Void>?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        self.promise = promise
        gone = promise.futureResult
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { promise?.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.succeed()
        context.fireChannelInactive()
    }
}
