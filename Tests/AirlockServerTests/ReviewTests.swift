import AirlockEngine
import AirlockTestSupport
import Foundation
import HTTPTypes
import Testing

/// `GET /v1/reviews`, `POST /v1/mutations/{id}/approve` and `/reject`: who may vote, once, and
/// when a review completes.
@Suite(.sharedResources) struct ReviewTests {
    @Test func theQueueShowsDeadlinesAndTimeLeftEarliestDeadlineFirstAndEscalationsAsTheyHappen() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, _ in
            let medium = try #require(try await api.submit(Mutations.mediumEmail).json["id"].string)  // due in 4h
            clock.advance(by: 1_800)
            let high = try #require(try await api.submit(Mutations.highDelete).json["id"].string)  // due in 1h
            let queue = try await api.get("/v1/reviews", key: TestServer.Key.bob).json["items"].array
            #expect(queue.map { $0["mutation_id"].string } == [high, medium], "\(queue)")
            #expect(queue.map { $0["seconds_left"].int } == [3_600, 12_600])
            #expect(queue.map { $0["overdue"].bool } == [false, false])
            #expect(queue.first?["sla_deadline"].string == "2026-01-06T11:30:00Z")
            // The high review's deadline passes: the server escalates it to duty-managers, due an
            // hour later, by itself.
            clock.advance(by: 3_600)
            var escalated: [JSON] = []
            for _ in 0..<500 {
                escalated = try await api.get("/v1/reviews", key: TestServer.Key.bob).json["items"].array
                if escalated.first?["escalations"].int == 1 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(escalated.first?["mutation_id"].string == high, "\(escalated)")
            #expect(escalated.first?["escalations"].int == 1)
            #expect(escalated.first?["pools"].array.map(\.string) == ["duty-managers"])
            #expect(escalated.first?["seconds_left"].int == 3_600)
            #expect(escalated.last?["seconds_left"].int == 9_000)
        }
    }

    @Test func requestChangesAnswersTheRevisionAndRefusesBadBodiesByField() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highRepricing).json["id"].string)
            let path = "/v1/mutations/\(id)/request-changes"
            let noNote = try await api.post(path, key: TestServer.Key.bob, json: #"{"changes": {"price": 10.5}}"#)
            #expect(noNote.status == .badRequest && noNote.json["errors"].array.first?["path"].string == "note", "\(noNote)")
            let notObject = try await api.post(path, key: TestServer.Key.bob, json: #"{"changes": [1], "note": "x"}"#)
            #expect(notObject.status == .badRequest && notObject.json["errors"].array.first?["path"].string == "changes", "\(notObject)")
            let same = try await api.post(path, key: TestServer.Key.bob, json: #"{"changes": {"price": 9.99}, "note": "again"}"#)
            #expect(same.status == .conflict && same.json["detail"].string?.contains("nothing would be revised") == true, "\(same)")
            let revised = try await api.post(path, key: TestServer.Key.bob, json: #"{"changes": {"price": 10.5}, "note": "not below 10"}"#)
            #expect(revised.status == .created, "\(revised)")
            #expect(revised.json["revision_of"].string == id)
            let revision = try #require(revised.json["id"].string)
            let old = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
            #expect(old.json["status"].string == "superseded")
            #expect(old.json["superseded_by"].string == revision)
            // Who wrote the revision's values does not review it.
            #expect(revised.json["status"].string == "pending_review", "\(revised)")
            let own = try await api.approve(revision, key: TestServer.Key.bob)
            #expect(own.status == .forbidden && own.json["detail"].string?.contains("wrote this revision") == true, "\(own)")
        }
    }

    @Test func aVoteBoundToOtherContentOrAnotherPolicyVersionIsAConflict() async throws {
        try await TestServer.with { api, _ in
            let submitted = try await api.submit(Mutations.highDelete)
            let id = try #require(submitted.json["id"].string)
            let hash = try #require(submitted.json["content_hash"].string)
            let version = try #require(submitted.json["policy_version"].string)
            #expect(hash.count == 64)
            let path = "/v1/mutations/\(id)/approve"
            let staleHash = try await api.post(path, key: TestServer.Key.bob, json: #"{"content_hash": "\#(String(repeating: "0", count: 64))"}"#)
            #expect(staleHash.status == .conflict && staleHash.json["detail"].string?.contains("look again") == true, "\(staleHash)")
            let staleVersion = try await api.post(path, key: TestServer.Key.bob, json: #"{"policy_version": "v-old"}"#)
            #expect(staleVersion.status == .conflict, "\(staleVersion)")
            let badType = try await api.post(path, key: TestServer.Key.bob, json: #"{"content_hash": 5}"#)
            #expect(badType.status == .badRequest && badType.json["errors"].array.first?["path"].string == "content_hash")
            let bound = try await api.post(
                path, key: TestServer.Key.bob, json: #"{"content_hash": "\#(hash)", "policy_version": "\#(version)"}"#)
            #expect(bound.status == .ok && bound.json["status"].string == "approved", "\(bound)")
        }
    }

    @Test func aSubmitterCannotApprove() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let reply = try await api.approve(id, key: TestServer.Key.agent)
            #expect(reply.status == .forbidden, "\(reply)")
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.json["detail"].string?.contains("reviewer") == true, "\(reply)")
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent).json["status"].string == "pending_review")
        }
    }

    @Test func aReviewerOutsideThePoolCannotApprove() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let reply = try await api.approve(id, key: TestServer.Key.dave)
            #expect(reply.status == .forbidden, "\(reply)")
            #expect(reply.json["detail"].string?.contains("support-leads") == true, "\(reply)")
            // Nor does the review show in dave's queue, nor may dave read the mutation.
            let queue = try await api.get("/v1/reviews", key: TestServer.Key.dave)
            #expect(queue.status == .ok)
            #expect(queue.json["items"].array.isEmpty, "\(queue)")
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.dave).status == .forbidden)
        }
    }

    @Test func theSubmitterCannotApproveTheirOwnMutationEvenAsAReviewer() async throws {
        try await TestServer.with { api, _ in
            let submitted = try await api.submit(Mutations.highDelete, key: TestServer.Key.alice)
            #expect(submitted.json["status"].string == "pending_review", "\(submitted)")
            let id = try #require(submitted.json["id"].string)
            let reply = try await api.approve(id, key: TestServer.Key.alice)
            #expect(reply.status == .forbidden, "\(reply)")
            #expect(reply.json["detail"].string?.contains("submitted") == true, "\(reply)")
            #expect(reply.json["detail"].string?.contains("separation of duties") == true, "\(reply)")
            // It is not in her queue, but it is in bob's.
            let alices = try await api.get("/v1/reviews", key: TestServer.Key.alice)
            #expect(!alices.json["items"].array.contains { $0["mutation_id"].string == id })
            let bobs = try await api.get("/v1/reviews", key: TestServer.Key.bob)
            #expect(bobs.json["items"].array.contains { $0["mutation_id"].string == id }, "\(bobs)")
            let approved = try await api.approve(id, key: TestServer.Key.bob)
            #expect(approved.status == .ok, "\(approved)")
            #expect(approved.json["status"].string == "approved")
        }
    }

    @Test func quorumCountsDistinctReviewersAndASecondVoteIsAConflict() async throws {
        try await TestServer.with { api, _ in
            let submitted = try await api.submit(Mutations.highRepricing)
            #expect(submitted.json["approvals"]["required"].int == 2, "\(submitted)")
            #expect(submitted.json["approvals"]["pool"].string == "pricing")
            let id = try #require(submitted.json["id"].string)

            let first = try await api.approve(id, key: TestServer.Key.bob, note: "checked the list")
            #expect(first.status == .ok, "\(first)")
            #expect(first.json["status"].string == "pending_review")
            #expect(first.json["approvals"]["received"].array.map { $0["reviewer"].string } == ["bob"])
            #expect(first.json["approvals"]["received"][0]["note"].string == "checked the list")
            #expect(first.json["approvals"]["received"][0]["at"].string != nil)

            let twice = try await api.approve(id, key: TestServer.Key.bob)
            #expect(twice.status == .conflict, "\(twice)")
            #expect(twice.json["detail"].string?.contains("already voted") == true, "\(twice)")
            #expect(try await api.get("/v1/mutations/\(id)", key: TestServer.Key.bob).json["status"].string == "pending_review")
            let bobsQueue = try await api.get("/v1/reviews", key: TestServer.Key.bob)
            #expect(!bobsQueue.json["items"].array.contains { $0["mutation_id"].string == id })

            let second = try await api.approve(id, key: TestServer.Key.carol)
            #expect(second.status == .ok, "\(second)")
            #expect(second.json["status"].string == "approved")
            #expect(second.json["approvals"]["state"].string == "approved")
            #expect(Set(second.json["approvals"]["received"].array.compactMap { $0["reviewer"].string }) == ["bob", "carol"])

            // Done: a further vote acts on a mutation no longer awaiting review.
            let late = try await api.approve(id, key: TestServer.Key.alice)
            #expect(late.status == .conflict, "\(late)")
            #expect(late.json["detail"].string?.contains("not awaiting review") == true, "\(late)")
        }
    }

    @Test func aReviewOfSeveralPoolsCompletesWhenEachPoolHasItsCount() async throws {
        try await TestServer.with { api, _ in
            let submitted = try await api.submit(Mutations.highBulkAddress)
            #expect(submitted.json["status"].string == "pending_review", "\(submitted)")
            let groups = submitted.json["approvals"]["groups"].array.map { "\($0["pool"].string ?? "")×\($0["count"].int ?? 0)" }
            #expect(Set(groups) == ["privacy×1", "support-leads×2"], "\(submitted)")
            #expect(submitted.json["approvals"]["required"].int == 3)
            let id = try #require(submitted.json["id"].string)

            // bob, carol and alice belong to both pools: their three votes fill both groups.
            #expect(try await api.approve(id, key: TestServer.Key.bob).json["status"].string == "pending_review")
            #expect(try await api.approve(id, key: TestServer.Key.carol).json["status"].string == "pending_review")
            let third = try await api.approve(id, key: TestServer.Key.alice)
            #expect(third.status == .ok, "\(third)")
            #expect(third.json["status"].string == "approved", "\(third)")
        }
    }

    @Test func anApproverInSeveralPoolsCountsWhereTheyAreNeeded() async throws {
        try await TestServer.with { api, _ in
            // privacy×1 and support-leads×2. bob (both pools) approves first and is counted for
            // privacy; erin (privacy only) cannot count elsewhere; carol (both) then completes the
            // review, bob counting for support-leads.
            let id = try #require(try await api.submit(Mutations.highBulkAddress).json["id"].string)
            #expect(try await api.approve(id, key: TestServer.Key.bob).json["status"].string == "pending_review")
            #expect(try await api.approve(id, key: TestServer.Key.erin).json["status"].string == "pending_review")
            let third = try await api.approve(id, key: TestServer.Key.carol)
            #expect(third.json["status"].string == "approved", "\(third)")
        }
    }

    @Test func concurrentVotesOfReviewersInSeveralPoolsFillEveryPool() async throws {
        try await TestServer.with { api, _ in
            // privacy×1 and support-leads×2; bob, carol and alice belong to both. Voting at the
            // same time, each must still count for a pool that needs them, not all for the first.
            for round in 0..<3 {
                let submitted = try await api.submit(Mutations.highBulkAddress)
                let id = try #require(submitted.json["id"].string, "\(submitted)")
                async let bob = api.approve(id, key: TestServer.Key.bob)
                async let carol = api.approve(id, key: TestServer.Key.carol)
                async let alice = api.approve(id, key: TestServer.Key.alice)
                let replies = try await [bob, carol, alice]
                #expect(replies.map(\.status.code) == [200, 200, 200], "round \(round): \(replies)")
                let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
                #expect(read.json["status"].string == "approved", "round \(round): \(read)")
            }
        }
    }

    @Test func concurrentVotesCountOnceEach() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highRepricing).json["id"].string)
            // bob twice and carol once, at the same time: one of bob's is refused, and the two
            // distinct approvals complete the review.
            async let bob1 = api.approve(id, key: TestServer.Key.bob)
            async let bob2 = api.approve(id, key: TestServer.Key.bob)
            async let carol = api.approve(id, key: TestServer.Key.carol)
            let replies = try await [bob1, bob2, carol]
            #expect(replies.map(\.status.code).sorted() == [200, 200, 409], "\(replies)")
            let read = try await api.get("/v1/mutations/\(id)", key: TestServer.Key.agent)
            #expect(read.json["status"].string == "approved", "\(read)")
            #expect(read.json["approvals"]["received"].array.count == 2)
        }
    }

    @Test func actingOnAMutationNotAwaitingReviewIsAConflict() async throws {
        try await TestServer.with { api, _ in
            // A mutation of bob's pools, decided: a conflict that says why.
            let high = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            #expect(try await api.reject(high, key: TestServer.Key.bob, note: "no").status == .ok)
            let approve = try await api.approve(high, key: TestServer.Key.carol)
            #expect(approve.status == .conflict, "\(approve)")
            #expect(approve.json["detail"].string?.contains("not awaiting review") == true, "\(approve)")
            let reject = try await api.reject(high, key: TestServer.Key.carol, note: "no")
            #expect(reject.status == .conflict, "\(reject)")

            // One bob may not read (never reviewed, or blocked): a 403 that does not name its status.
            let low = try #require(try await api.submit(Mutations.lowTitle).json["id"].string)
            let blocked = try #require(try await api.submit(Mutations.blockSSN).json["id"].string)
            for id in [low, blocked] {
                for reply in [try await api.approve(id, key: TestServer.Key.bob), try await api.reject(id, key: TestServer.Key.bob, note: "no")] {
                    #expect(reply.status == .forbidden, "\(reply)")
                    #expect(reply.json["detail"].string?.contains("may not read") == true, "\(reply)")
                    #expect(reply.json["detail"].string?.contains("status") == false, "\(reply)")
                }
            }

            let unknown = try await api.approve("mut_doesnotexist", key: TestServer.Key.bob)
            #expect(unknown.status == .notFound, "\(unknown)")
            #expect(unknown.json["detail"].string?.contains("mut_doesnotexist") == true)
        }
    }

    @Test func aRejectionNeedsANoteAndEndsTheReview() async throws {
        try await TestServer.with { api, _ in
            let id = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            let bare = try await api.reject(id, key: TestServer.Key.bob, note: nil)
            #expect(bare.status == .badRequest, "\(bare)")
            #expect(bare.json["detail"].string?.contains("note") == true, "\(bare)")
            let blank = try await api.reject(id, key: TestServer.Key.bob, note: "  ")
            #expect(blank.status == .badRequest, "\(blank)")
            let nonString = try await api.post("/v1/mutations/\(id)/reject", key: TestServer.Key.bob, json: #"{"note": 5}"#)
            #expect(nonString.status == .badRequest, "\(nonString)")

            let rejected = try await api.reject(id, key: TestServer.Key.bob, note: "customer asked to keep the account")
            #expect(rejected.status == .ok, "\(rejected)")
            #expect(rejected.json["status"].string == "rejected")
            #expect(rejected.json["approvals"]["rejections"][0]["reviewer"].string == "bob")
            #expect(rejected.json["approvals"]["rejections"][0]["note"].string == "customer asked to keep the account")
            #expect(try await api.approve(id, key: TestServer.Key.carol).status == .conflict)
        }
    }

    @Test func theReviewQueueListsOpenReviewsOldestFirstWithTheirDetails() async throws {
        let clock = ManualClock(TestServer.businessHours)
        try await TestServer.with(clock: clock) { api, _ in
            let high = try #require(try await api.submit(Mutations.highDelete).json["id"].string)
            clock.advance(by: 1)
            let medium = try #require(try await api.submit(Mutations.mediumEmail).json["id"].string)
            clock.advance(by: 1)
            _ = try await api.submit(Mutations.lowTitle)

            let queue = try await api.get("/v1/reviews", key: TestServer.Key.bob)
            #expect(queue.status == .ok, "\(queue)")
            let items = queue.json["items"].array
            #expect(items.map { $0["mutation_id"].string } == [high, medium], "\(queue)")
            #expect(items[0]["tier"].string == "high")
            #expect(items[0]["pool"].string == "support-leads")
            #expect(items[0]["mode"].string == "blocking")
            #expect(items[0]["sla_deadline"].string != nil)
            #expect(items[0]["reasons"][0]["rule"].string == "customer-delete")
            #expect(items[1]["tier"].string == "medium")
            #expect(items[1]["mode"].string == "parallel")

            // A parallel review can be voted on; the mutation already went ahead.
            let vote = try await api.approve(medium, key: TestServer.Key.bob)
            #expect(vote.status == .ok, "\(vote)")
            #expect(vote.json["status"].string == "approved")
            #expect(vote.json["approvals"]["state"].string == "approved")

            let notReviewer = try await api.get("/v1/reviews", key: TestServer.Key.agent)
            #expect(notReviewer.status == .forbidden, "\(notReviewer)")
        }
    }
}
