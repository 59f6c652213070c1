@testable import AirlockCore
import Foundation
import Testing

/// `policy simulate` validates and classifies records on its reading thread ahead of the
/// simulation (`PolicyEngine.triage(_:)` on a batch). That the simulator then uses those results
/// and does not triage again is what the split buys; the reports alone cannot show it, since
/// both ways give the same report. A fabricated result under the pack's version shows it.
@Suite("Simulator: triage ahead")
struct SimulatorTriageAheadTests {
    @Test("a record triaged ahead under the simulator's pack is decided from that triage, not triaged again")
    func aheadIsUsed() throws {
        let pack = try Fixtures.examplePack()
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/streams/sample.jsonl")
        var records = try StreamParser.records(in: try String(contentsOf: url, encoding: .utf8))
        PolicyEngine(pack: pack).triage(&records)
        let valid = try #require(records.firstIndex { record in
            if case .success? = record.triaged?.result { return true }
            return false
        })

        var plain = Simulator(pack: pack)
        try plain.run(records)
        let invalid = plain.report.total.invalid

        // The same records, one of them with a refusal put where its triage was: only a
        // simulator that reads the triage ahead counts it invalid.
        var marked = records
        marked[valid].triaged = (pack.version, .failure(ValidationFailure(path: "changes", message: "refused ahead")))
        var ahead = Simulator(pack: pack)
        try ahead.run(marked)
        #expect(ahead.report.total.invalid == invalid + 1)

        // Under another version the result ahead is not trusted: the record is triaged again.
        marked[valid].triaged = ("another-version", .failure(ValidationFailure(path: "changes", message: "refused ahead")))
        var again = Simulator(pack: pack)
        try again.run(marked)
        #expect(again.report.total.invalid == invalid)
    }
}
