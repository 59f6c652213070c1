import AirlockCore
import CEL
import Testing

@Suite struct RFC3339Tests {
    @Test func parsesAndFormats() throws {
        let t = try #require(RFC3339.parse("2025-01-06T12:00:00Z"))
        #expect(t.seconds == 1_736_164_800)
        #expect(RFC3339.format(t) == "2025-01-06T12:00:00Z")
        let offset = try #require(RFC3339.parse("2025-01-06T13:30:00.25+01:00"))
        #expect(offset.seconds == 1_736_166_600)
        #expect(offset.nanos == 250_000_000)
        #expect(RFC3339.format(offset) == "2025-01-06T12:30:00.25Z")
        #expect(RFC3339.parse("1969-12-31T23:59:59Z")?.seconds == -1)
        #expect(RFC3339.format(Timestamp(seconds: -1)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test(arguments: ["", "2025-01-06", "2025-01-06T12:00:00", "2025-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2025-01-06T12:00:00+1:00", "2025-01-06T12:00:00Zjunk"])
    func rejectsMalformed(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
