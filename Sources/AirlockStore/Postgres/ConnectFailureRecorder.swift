import Logging
import Synchronization

/// The last reason the connection pool gave for failing to connect, so that a start that gives up
/// can say why ("certificate verify failed", "too many clients", "password authentication
/// failed") rather than only that it waited.
///
/// postgres-nio reports each failed connection attempt only to its background logger, so the
/// store gives the pool a logger whose handler (``Handler``) notes the `psql_error` of each and
/// passes every message on to the store's own handler as before.
final class ConnectFailureRecorder: Sendable {
    private let last = Mutex<String?>(nil)

    /// The last failure noted, if any.
    var lastFailure: String? { last.withLock { $0 } }

    /// `logger` with a handler that notes connection failures and forwards everything else.
    func logger(wrapping logger: Logger) -> Logger {
        var wrapped = logger
        wrapped.handler = Handler(inner: logger.handler, recorder: self)
        return wrapped
    }

    fileprivate func note(_ failure: String) {
        last.withLock { $0 = failure }
    }

    struct Handler: LogHandler {
        var inner: any LogHandler
        let recorder: ConnectFailureRecorder

        /// Low enough to hear the pool's failed attempts (logged at `info`); what the inner
        /// handler would not print is still not printed.
        var logLevel: Logger.Level {
            get { min(inner.logLevel, .info) }
            set { inner.logLevel = newValue }
        }

        var metadata: Logger.Metadata {
            get { inner.metadata }
            set { inner.metadata = newValue }
        }

        var metadataProvider: Logger.MetadataProvider? {
            get { inner.metadataProvider }
            set { inner.metadataProvider = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { inner[metadataKey: key] }
            set { inner[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            if let failure = event.metadata?["psql_error"] { recorder.note("\(failure)") }
            if event.level >= inner.logLevel { inner.log(event: event) }
        }
    }
}
