@testable import AirlockEngine
@testable import AirlockServer
import Foundation
import Logging
import Synchronization
import AirlockTestSupport
import Testing

/// `airlock serve --log-format json`: one JSON object per line, every line about a mutation
/// names it, and no key or secret is ever written.
@Suite(.sharedResources) struct JSONLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func aServersLinesAreJSONNameTheirMutationAndHoldNoKey() async throws {
        let captured = Lines()
        var logger = Logger(label: "airlock") { label in JSONLogHandler(label: label) { captured.append($0) } }
        logger.logLevel = .trace
        let directory = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(directory) }
        let ids = try await TestServer.run(stateDirectory: directory, logger: logger) { api, _ in
            let low = try await api.submit(Mutations.lowTitle)
            let high = try await api.submit(Mutations.highDelete)
            _ = try await api.get("/v1/reviews", key: "not-a-real-key-but-secret")
            return [low.json["id"].string ?? "", high.json["id"].string ?? ""]
        }
        let lines = captured.all
        #expect(!lines.isEmpty)
        var decided: [String] = []
        for line in lines {
            #expect(line.hasSuffix("}\n"), "\(line)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "every line is a JSON object of strings: \(line)")
            #expect(object["time"] != nil && object["level"] != nil && object["message"] != nil, "\(line)")
            for key in [TestServer.Key.agent, TestServer.Key.root, TestServer.Key.alice, "not-a-real-key-but-secret"] {
                #expect(!line.contains(key), "a key was logged: \(line)")
            }
            // A line that names a mutation id carries it as its `mutation` field.
            for id in ids where line.contains(id) { #expect(object["mutation"] == id, "\(line)") }
            if object["message"] == "decided", let id = object["mutation"] { decided.append(id) }
        }
        #expect(decided == ids, "each decision has its line: \(lines)")
    }

    @Test func secretsInMetadataAndMessagesAreRedacted() throws {
        let captured = Lines()
        let handler = JSONLogHandler(label: "t") { captured.append($0) }
        var logger = Logger(label: "t") { _ in handler }
        logger.logLevel = .info
        logger.info(
            "calling with Authorization: Bearer abc123 \"quoted\"\n",
            metadata: ["api_key": "k-1", "Authorization": "Bearer abc123", "mutation": "mut_1", "note": "bearer xyz"])
        let line = try #require(captured.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["api_key"] == "[redacted]")
        #expect(object["Authorization"] == "[redacted]")
        #expect(object["note"] == "Bearer [redacted]")
        #expect(object["mutation"] == "mut_1")
        #expect(object["message"] == "calling with Authorization: Bearer [redacted] \"quoted\"\n")
        #expect(!line.contains("abc123") && !line.contains("k-1") && !line.contains("xyz"))
    }

    /// A webhook URL may carry a password (`user:password@`) or a token in its query; neither
    /// reaches a log line, in either format, whether it is in the message or in metadata.
    @Test func urlCredentialsAreRedactedInBothFormats() throws {
        let url = "http://hookuser:HOOKPASSWORD@127.0.0.1:9/hook?access_token=QUERYSECRET&team=ops"
        let captured = Lines()
        var json = Logger(label: "t") { _ in JSONLogHandler(label: "t") { captured.append($0) } }
        json.logLevel = .info
        json.error("a webhook target stays down: \(url)", metadata: ["target": "\(url)", "error": "connect to \(url) refused"])

        final class Inner: LogHandler, @unchecked Sendable {
            var logLevel: Logger.Level = .trace
            var metadata: Logger.Metadata = [:]
            var events: [LogEvent] = []
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) { events.append(event) }
        }
        let inner = Inner()
        var text = Logger(label: "t") { _ in ScrubbingLogHandler(inner) }
        text.logLevel = .info
        text.error("a webhook target stays down: \(url)", metadata: ["target": "\(url)", "api_key": "k-9"])
        let event = try #require(inner.events.first)
        var written = ["\(event.message)"]
        for (key, value) in event.metadata ?? [:] { written.append("\(key)=\(value)") }
        written += captured.all
        #expect(written.count == 4)
        for line in written {
            #expect(!line.contains("HOOKPASSWORD") && !line.contains("QUERYSECRET") && !line.contains("k-9"), "\(line)")
        }
        // What tells targets apart stays: the user, the host, the path and the query's names.
        #expect(written.filter { $0.contains("hookuser:[redacted]@127.0.0.1:9/hook?access_token=[redacted]&team=[redacted]") }.count == 3, "\(written)")
        #expect(
            WebhookTarget.redacted(url) == "http://hookuser:[redacted]@127.0.0.1:9/hook?access_token=[redacted]&team=[redacted]")
        // A chat webhook's token is in its path.
        #expect(WebhookTarget.redacted("https://hooks.slack.com/services/T000/B000/XXXXSECRET") == "https://hooks.slack.com/services/[redacted]")
        // A URL in brackets keeps its closing bracket.
        #expect(JSONLogHandler.scrub("(see http://h/x?t=SECRET) and more") == "(see http://h/x?t=[redacted]) and more")
    }
}
