import AirlockEngine
import AirlockTestSupport
import HTTPTypes
import Testing

/// `POST /v1/mutations`, `GET /v1/mutations/{id}` and `GET /v1/mutations`: routing by tier, the
/// actor, idempotency and invalid mutations.
@Suite(.sharedResources) struct SubmissionTests {
    @Test func eachTierIsRoutedAsTheContractSays() async throws {
        try await TestServer.with { api, _ in
            let low = try await api.submit(Mutations.lowTitle)
            #expect(low.status == .created, "\(low)")
            #expect(low.contentType == "application/json")
            #expect(low.json["status"].string == "approved")
            #expect(low.json["tier"].string == "low")
            #expect(low.json["approvals"].isNull)
            let contractFields: Set<String> = [
                "id", "status", "tier", "score", "reasons", "approvals", "policy_version", "actor", "resource",
                "operation", "target", "changes", "created_at", "updated_at",
            ]
            #expect(contractFields.isSubset(of: low.json.keys), "\(low.json.keys)")

            let medium = try await api.submit(Mutations.mediumEmail)
            #expect(medium.status == .created, "\(medium)")
            #expect(medium.json["status"].string == "approved")
            #expect(medium.json["tier"].string == "medium")
            #expect(medium.json["approvals"]["mode"].string == "parallel")
            #expect(medium.json["approvals"]["pool"].string == "privacy")
            #expect(medium.json["reasons"][0]["rule"].string == "pii-edit")

            let high = try await api.submit(Mutations.highDelete)
            #expect(high.status == .created, "\(high)")
            #expect(high.json["status"].string == "pending_review")
            #expect(high.json["tier"].string == "high")
            #expect(high.json["approvals"]["required"].int == 1)
            #expect(high.json["approvals"]["pool"].string == "support-leads")
            #expect(high.json["approvals"]["received"].array.isEmpty)

            let block = try await api.submit(Mutations.blockSSN)
            #expect(block.status == .created, "\(block)")
            #expect(block.json["status"].string == "rejected")
            #expect(block.json["tier"].string == "block")
            #expect(block.json["reasons"].array.contains { $0["rule"].string == "agent-touches-ssn" })

            // Each reads back as it was answered.
            for reply in [low, medium, high, block] {
                let id = try #require(reply.json["id"].string)
                let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
                #expect(read.status == .ok, "\(read)")
                #expect(read.json["status"].string == reply.json["status"].string)
                #expect(read.json["tier"].string == reply.json["tier"].string)
            }
        }
    }

    @Test func theActorIsTheAuthenticatedPrincipalWhateverTheBodySays() async throws {
        try await TestServer.with { api, _ in
            let body = #"{"actor": "root", "resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "x"}}"#
            let reply = try await api.submit(body)
            #expect(reply.status == .created, "\(reply)")
            #expect(reply.json["actor"].string == "agent-7")
            let id = try #require(reply.json["id"].string)
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.root).json["actor"].string == "agent-7")
            let mine = try await api.get("/v1/mutations?actor=agent-7", key: TestServer.Key.auditor)
            #expect(mine.json["items"].array.map { $0["id"].string } == [id])
            let roots = try await api.get("/v1/mutations?actor=root", key: TestServer.Key.auditor)
            #expect(roots.json["items"].array.isEmpty)
        }
    }

    @Test func theSameIdempotencyKeyAndBodyReturnTheFirstAnswer() async throws {
        try await TestServer.with { api, _ in
            let first = try await api.submit(Mutations.highDelete, idempotencyKey: "order-1")
            #expect(first.status == .created, "\(first)")
            let again = try await api.submit(Mutations.highDelete, idempotencyKey: "order-1")
            #expect(again.status == .ok, "\(again)")
            #expect(again.json["id"].string == first.json["id"].string)
            #expect(again.json["status"].string == "pending_review")

            let different = try await api.submit(Mutations.lowTitle, idempotencyKey: "order-1")
            #expect(different.status == .conflict, "\(different)")
            #expect(different.contentType == "application/problem+json")
            #expect(different.json["detail"].string?.contains("different request body") == true, "\(different)")

            // Another principal's key space is its own.
            let alices = try await api.submit(Mutations.lowTitle, key: TestServer.Key.alice, idempotencyKey: "order-1")
            #expect(alices.status == .created, "\(alices)")

            let all = try await api.get("/v1/mutations", key: TestServer.Key.auditor)
            #expect(all.json["items"].array.count == 2)

            let empty = try await api.submit(Mutations.lowTitle, idempotencyKey: "")
            #expect(empty.status == .badRequest, "\(empty)")
            let long = try await api.submit(Mutations.lowTitle, idempotencyKey: String(repeating: "k", count: 256))
            #expect(long.status == .badRequest, "\(long)")
        }
    }

    @Test func aRetriedInvalidMutationGetsTheSame422() async throws {
        try await TestServer.with { api, _ in
            let first = try await api.submit(Mutations.invalidTransfer, idempotencyKey: "pay-1")
            #expect(first.status == .unprocessableContent, "\(first)")
            let again = try await api.submit(Mutations.invalidTransfer, idempotencyKey: "pay-1")
            #expect(again.status == .unprocessableContent, "\(again)")
            #expect(again.json["id"].string == first.json["id"].string)
            #expect(again.json["errors"].array.count == first.json["errors"].array.count, "\(again)")
            #expect(try await api.get("/v1/mutations", key: TestServer.Key.auditor).json["items"].array.count == 1)
        }
    }

    @Test func concurrentSubmissionsWithOneIdempotencyKeyMakeOneMutation() async throws {
        try await TestServer.with { api, _ in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await api.submit(Mutations.highDelete, idempotencyKey: "retry-storm") }
                }
                var replies: [Reply] = []
                for try await reply in group { replies.append(reply) }
                return replies
            }
            #expect(replies.filter { $0.status == .created }.count == 1, "\(replies)")
            #expect(replies.filter { $0.status == .ok }.count == 7, "\(replies)")
            #expect(Set(replies.compactMap { $0.json["id"].string }).count == 1)
            #expect(try await api.get("/v1/mutations", key: TestServer.Key.auditor).json["items"].array.count == 1)
        }
    }

    @Test(arguments: [
        "{}",
        #"{"resource": 5, "operation": []}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": null}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": [1]}"#,
        #"{"resource": "catalog.product", "operation": "update", "targets": "sku-1", "changes": {"title": "a"}}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "a"}, "before": 7}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "a"}, "context": "x"}"#,
        #"{"resource": "catalog.product", "operation": "destroy", "target": "sku-1", "changes": {"title": "a"}}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"price": 1e400}}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"stock": 99999999999999999999}}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "\ud800"}}"#,
        #"{"resource": "catalog.product", "resource": "crm.customer", "operation": "update", "target": "sku-1", "changes": {}}"#,
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"unknown": true}}"#,
    ])
    func anOddBodyIsRefusedWithA4xxNeverA5xx(_ body: String) async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.submit(body)
            #expect((400..<500).contains(reply.status.code), "\(reply)")
            #expect(reply.contentType == "application/problem+json", "\(reply)")
            #expect(reply.json["detail"].string?.isEmpty == false, "\(reply)")
            if reply.status == .unprocessableContent {
                #expect(!reply.json["errors"].array.isEmpty, "\(reply)")
                #expect(reply.json["id"].string != nil, "\(reply)")
            }
        }
    }

    @Test func anInvalidMutationAnswers422WithEveryErrorAndIsRecordedRejected() async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.submit(Mutations.invalidTransfer)
            #expect(reply.status == .unprocessableContent, "\(reply)")
            #expect(reply.contentType == "application/problem+json")
            let paths = reply.json["errors"].array.compactMap { $0["path"].string }
            #expect(
                Set(paths) == ["changes.amount", "changes.currency", "changes.from_account", "changes.to_account"],
                "\(reply)")
            #expect(reply.json["errors"].array.allSatisfy { !($0["message"].string ?? "").isEmpty })
            let id = try #require(reply.json["id"].string)
            let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
            #expect(read.status == .ok, "\(read)")
            #expect(read.json["status"].string == "rejected")
            #expect(read.json["errors"].array.count == 4, "\(read)")
        }
    }

    @Test func anUnknownResourceIsInvalidAndSaysSo() async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.submit(Mutations.unknownResource)
            #expect(reply.status == .unprocessableContent, "\(reply)")
            #expect(reply.json["errors"][0]["path"].string == "resource")
            #expect(reply.json["errors"][0]["message"].string?.contains("payments.refund") == true, "\(reply)")
            let id = try #require(reply.json["id"].string)
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent).json["status"].string == "rejected")
        }
    }

    @Test func aPageOfAReviewerIsFilledPastMutationsItMayNotRead() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, _ in
            // dave reviews finance only: of these six he may read the two large transfers.
            let transfer = #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#
            var readable: [String] = []
            for body in [Mutations.lowTitle, transfer, Mutations.lowTitle, Mutations.lowTitle, transfer, Mutations.lowTitle] {
                let reply = try await api.submit(body)
                if body == transfer { readable.append(try #require(reply.json["id"].string, "\(reply)")) }
                clock.advance(by: 1)  // one second apart, so that the list's order is the submissions
            }
            let page = try await api.get("/v1/mutations?limit=2", key: TestServer.Key.dave)
            #expect(page.status == .ok, "\(page)")
            #expect(page.json["items"].array.compactMap { $0["id"].string } == readable, "\(page)")
            // One low-tier mutation follows: the cursor goes on, and the last page is empty.
            let cursor = try #require(page.json["next_cursor"].string)
            let last = try await api.get("/v1/mutations?limit=2&cursor=\(cursor)", key: TestServer.Key.dave)
            #expect(last.json["items"].array.isEmpty && last.json["next_cursor"].string == nil, "\(last)")
        }
    }

    @Test func anUnknownCursorIs400() async throws {
        try await TestServer.with { api, _ in
            let reply = try await api.get("/v1/mutations?cursor=mut_nothing", key: TestServer.Key.auditor)
            #expect(reply.status == .badRequest, "\(reply)")
            #expect(reply.json["detail"].string?.contains("mut_nothing") == true, "\(reply)")
        }
    }

    @Test func structuralAndSchemaProblemsAreReportedTogether() async throws {
        try await TestServer.with { api, _ in
            // An unknown top-level key, a target of the wrong type, and a negative amount.
            let body = #"{"resource": "payments.transfer", "operation": "create", "colour": "red", "changes": {"amount": -5, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}"#
            let reply = try await api.submit(body)
            #expect(reply.status == .unprocessableContent, "\(reply)")
            let paths = Set(reply.json["errors"].array.compactMap { $0["path"].string })
            #expect(paths == ["colour", "changes.amount"], "\(reply)")
        }
    }

    @Test func theListFiltersAndPages() async throws {
        try await TestServer.with { api, _ in
            var ids: [String] = []
            for body in [Mutations.lowTitle, Mutations.highDelete, Mutations.lowTitle, Mutations.mediumEmail] {
                let reply = try await api.submit(body)
                ids.append(try #require(reply.json["id"].string))
            }
            _ = try await api.submit(Mutations.lowTitle, key: TestServer.Key.alice)

            let pending = try await api.get("/v1/mutations?status=pending_review", key: TestServer.Key.agent)
            #expect(pending.status == .ok, "\(pending)")
            #expect(pending.json["items"].array.map { $0["id"].string } == [ids[1]])

            let crm = try await api.get("/v1/mutations?resource=crm.customer&status=approved,pending_review", key: TestServer.Key.root)
            #expect(Set(crm.json["items"].array.compactMap { $0["id"].string }) == [ids[1], ids[3]])

            // Pages of two, following next_cursor, give every mutation once.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.get(
                    "/v1/mutations?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: TestServer.Key.auditor)
                #expect(page.status == .ok, "\(page)")
                #expect(page.json["items"].array.count <= 2)
                seen += page.json["items"].array.compactMap { $0["id"].string }
                cursor = page.json["next_cursor"].string
            } while cursor != nil && seen.count < 10
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)

            // A submitter sees only its own; asking for another's is refused.
            let own = try await api.get("/v1/mutations", key: TestServer.Key.agent)
            #expect(own.json["items"].array.count == 4)
            let others = try await api.get("/v1/mutations?actor=alice", key: TestServer.Key.agent)
            #expect(others.status == .forbidden, "\(others)")

            let badStatus = try await api.get("/v1/mutations?status=done", key: TestServer.Key.agent)
            #expect(badStatus.status == .badRequest, "\(badStatus)")
            let badLimit = try await api.get("/v1/mutations?limit=0", key: TestServer.Key.agent)
            #expect(badLimit.status == .badRequest, "\(badLimit)")
        }
    }

    /// An invalid submission whose `changes` are not an object is recorded as sent, but its view
    /// keeps the documented shape (`changes` an object), in the 422 and in every read after it.
    /// The schemathesis run found it answering the string back.
    @Test func theViewOfAnInvalidMutationKeepsChangesAnObject() async throws {
        try await TestServer.with { api, _ in
            for changes in [#""not an object""#, "[1, 2]", "null"] {
                let reply = try await api.submit(
                    #"{"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": \#(changes)}"#)
                #expect(reply.status == .unprocessableContent, "\(reply)")
                #expect(reply.json["mutation"]["changes"].isObject == true, "\(changes): \(reply)")
                let id = try #require(reply.json["id"].string)
                let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
                #expect(read.json["changes"].isObject == true, "\(changes): \(read)")
            }
        }
    }
}
