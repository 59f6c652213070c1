import HTTPTypes
import AirlockTestSupport
import Testing

/// `GET /v1/audit` and `GET /v1/audit/verify`.
@Suite(.sharedResources) struct AuditTests {
    @Test func theLogRecordsTheTrafficInOrderAndVerifiesIntact() async throws {
        try await TestServer.with { api, _ in
            let high = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            _ = try await api.submit(Mutations.lowTitle)
            _ = try await api.submit(Mutations.invalidTransfer)
            _ = try await api.approve(high, key: TestServer.Key.bob, note: "ok")

            let all = try await api.get("/v1/audit", key: TestServer.Key.auditor)
            #expect(all.status == .ok, "\(all)")
            let items = all.json["items"].array
            let seqs = items.compactMap { $0["seq"].int }
            #expect(seqs == Array(seqs.indices).map { seqs[0] + $0 }, "sequence numbers are consecutive: \(seqs)")
            #expect(all.json["next_after"].int == seqs.last)
            let kinds = items.compactMap { $0["kind"].string }
            for kind in ["policy_activated", "submitted", "decided", "review_opened", "voted", "review_closed", "approved", "rejected"] {
                #expect(kinds.contains(kind), "\(kind) in \(kinds)")
            }
            let vote = try #require(items.first { $0["kind"].string == "voted" })
            #expect(vote["actor"].string == "bob")
            #expect(vote["mutation_id"].string == high)
            #expect(items.allSatisfy { $0["hash"].string?.isEmpty == false })

            // Paging with after and limit gives the same records.
            var paged: [Int] = []
            var after = 0
            while true {
                let page = try await api.get("/v1/audit?after=\(after)&limit=3", key: TestServer.Key.root)
                #expect(page.status == .ok, "\(page)")
                let got = page.json["items"].array.compactMap { $0["seq"].int }
                if got.isEmpty {
                    #expect(page.json["next_after"].isNull)
                    break
                }
                #expect(got.count <= 3)
                paged += got
                after = try #require(page.json["next_after"].int)
            }
            #expect(paged == seqs)

            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.status == .ok, "\(verify)")
            #expect(verify.json["intact"].bool == true, "\(verify)")
            #expect(verify.json["records"].int == seqs.count)
            #expect(verify.json["problems"].array.isEmpty, "\(verify)")
            #expect(try await api.get("/v1/audit/verify", key: TestServer.Key.root).json["intact"].bool == true)
        }
    }
}
