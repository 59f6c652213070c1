import AirlockCore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// POSTs one signed webhook delivery and says how the target answered.
public final class WebhookSender: Sendable {
    /// How a call ended.
    public enum Answer: Sendable, Hashable, CustomStringConvertible {
        /// The target answered with this status (and the start of its body).
        case answered(status: Int, excerpt: String)
        /// No answer: timed out, refused, not a URL.
        case unreachable(String)

        /// True for a 2xx answer: delivered.
        public var delivered: Bool {
            if case .answered(let status, _) = self { return (200...299).contains(status) }
            return false
        }

        public var description: String {
            switch self {
            case .answered(let status, let excerpt): "answered \(status)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
            case .unreachable(let why): why
            }
        }
    }

    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpAdditionalHeaders = ["User-Agent": "airlock"]
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// Sends `body` to `target`, signed over `timestamp` (Unix seconds) and the body, with the
    /// event's id and kind in headers; gives up after the target's timeout.
    public func send(
        eventID: String, kind: String, body: [UInt8], timestamp: String, to target: WebhookTarget
    ) async -> Answer {
        guard let url = URL(string: target.url) else { return .unreachable("'\(target.url)' is not a URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Self.timeout(target.timeout)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(eventID, forHTTPHeaderField: "X-Airlock-Event-Id")
        request.setValue(kind, forHTTPHeaderField: "X-Airlock-Event")
        request.setValue(timestamp, forHTTPHeaderField: "X-Airlock-Timestamp")
        request.setValue(
            WebhookSignature.sign(timestamp: timestamp, body: body, secret: target.secret), forHTTPHeaderField: "X-Airlock-Signature")
        request.httpBody = Data(body)
        do {
            let (data, response) = try await session.cancellableData(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let excerpt = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .answered(status: status, excerpt: excerpt)
        } catch let error as URLError {
            switch error.code {
            case .timedOut: return .unreachable("timed out after \(DurationWords.text(target.timeout.rounded(.up)))")
            case .cannotConnectToHost: return .unreachable("cannot connect")
            default: return .unreachable(error.localizedDescription)
            }
        } catch {
            return .unreachable("\(error)")
        }
    }

    /// FoundationNetworking (Linux) truncates a timeout to whole seconds: round it up.
    private static func timeout(_ seconds: TimeInterval) -> TimeInterval {
        #if canImport(FoundationNetworking)
            return max(1, seconds.rounded(.up))
        #else
            return seconds
        #endif
    }
}
