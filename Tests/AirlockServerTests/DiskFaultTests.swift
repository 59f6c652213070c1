import AirlockCore
import AirlockServer
@testable import AirlockStore
import AirlockTestSupport
import Foundation
import GRDB
import HTTPTypes
import Testing

/// The store's disk full or read-only: decisions fail closed with 503 and a reason that says so,
/// nothing is half-written, and the gateway takes writes again by itself once the disk does.
/// The full disk is real: a small tmpfs mounted for the test (the tests run as root, as CI does).
@Suite(.sharedResources) struct DiskFaultTests {
    /// A low-tier mutation, distinct per `n` (so that no two share a content hash).
    static func low(_ n: Int) -> String {
        #"{"resource": "catalog.product", "operation": "update", "target": "sku-\#(n)", "changes": {"title": "Lamp \#(n)"}}"#
    }

    /// A small real disk for the test, or nil after recording why it could not be mounted.
    static func mountedDisk(megabytes: Int) -> SmallDisk? {
        do {
            return try SmallDisk(megabytes: megabytes)
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    /// A server on a fresh SQLite state directory that has recorded one mutation: `body` gets
    /// its client, its store and the ids stored so far.
    static func withOneStored(
        _ body: @Sendable (APIClient, SQLiteStore, Set<String>) async throws -> Void
    ) async throws {
        let state = try TestServer.makeStateDirectory()
        defer { removeTemporaryFolder(state) }
        try await TestServer.run(stateDirectory: state) { api, parts in
            let store = try #require(parts.store as? SQLiteStore)
            #expect(try await api.submit(Self.low(0)).status == .created)
            try await body(api, store, try await Self.storedIDs(api))
        }
    }

    /// Every mutation id the store holds, through the API.
    static func storedIDs(_ api: APIClient) async throws -> Set<String> {
        var ids: Set<String> = []
        var cursor: String?
        repeat {
            let page = try await api.get(
                "/v1/mutations?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), key: TestServer.Key.auditor)
            #expect(page.status == .ok, "\(page)")
            for item in page.json["items"].array { ids.insert(item["id"].string ?? "") }
            cursor = page.json["next_cursor"].string
        } while cursor != nil
        return ids
    }

    @Test("a full disk: 503 saying so, nothing recorded of the refused ones, and writes again once there is space")
    func aFullDiskFailsClosedAndRecovers() async throws {
        guard let disk = Self.mountedDisk(megabytes: 6) else { return }
        defer { disk.unmount() }
        let state = disk.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try await TestServer.run(stateDirectory: state) { api, _ in
            #expect(try await api.submit(Self.low(0)).status == .created)
            disk.fill()
            // The write-ahead log has some room left from before: submit until the disk refuses.
            var accepted: Set<String> = [try #require(try await Self.storedIDs(api).first)]
            var refused = 0
            var n = 1
            while refused < 3, n < 2_000 {
                let reply = try await api.submit(Self.low(n), idempotencyKey: "fill-\(n)")
                n += 1
                switch reply.status {
                case .created:
                    #expect(refused == 0, "a write was accepted after the disk had refused one, with the disk still full")
                    accepted.insert(try #require(reply.json["id"].string))
                case .serviceUnavailable:
                    refused += 1
                    #expect(reply.contentType == "application/problem+json")
                    let detail = reply.json["detail"].string ?? ""
                    #expect(detail.contains("disk is full"), "\(detail)")
                    #expect(detail.contains("nothing of this change was recorded"), "\(detail)")
                    #expect(reply.json["id"].isNull || reply.json["id"].string == nil, "a refused submission has no id: \(reply)")
                default:
                    Issue.record("submission \(n - 1) on a full disk answered \(reply)")
                    refused = 3
                }
            }
            #expect(refused == 3, "the disk never refused a write in \(n) submissions")
            // Reads still answer, and the store holds exactly the acknowledged mutations.
            #expect(try await Self.storedIDs(api) == accepted)

            try disk.free()
            // No restart: the next write goes through, the refused key was never reserved, and
            // a vote is recorded.
            let retried = try await api.submit(Self.low(n - 1), idempotencyKey: "fill-\(n - 1)")
            #expect(retried.status == .created, "\(retried)")
            let high = try await api.submit(Mutations.highDelete)
            #expect(high.status == .created, "\(high)")
            let id = try #require(high.json["id"].string)
            #expect(try await api.approve(id, key: TestServer.Key.bob).status == .ok)
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    @Test("a read-only store: 503 saying so, nothing recorded, and writes again once it is writable")
    func aReadOnlyStoreFailsClosedAndRecovers() async throws {
        try await Self.withOneStored { api, store, before in
            // The file system going read-only under a running server cannot be staged without
            // closing the database (the kernel refuses to remount a busy mount): the writer
            // connection is made read-only instead, which SQLite refuses as it would the disk.
            try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
            for n in 1...3 {
                let reply = try await api.submit(Self.low(n), idempotencyKey: "ro-\(n)")
                #expect(reply.status == .serviceUnavailable, "\(reply)")
                #expect(reply.json["detail"].string?.contains("read-only") == true, "\(reply)")
            }
            #expect(try await Self.storedIDs(api) == before)
            try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 0") }
            let retried = try await api.submit(Self.low(1), idempotencyKey: "ro-1")
            #expect(retried.status == .created, "\(retried)")
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    @Test("a store refused at a statement (no page left), not at the commit: 503 saying so, nothing recorded, then writes again")
    func aStatementRefusedByTheDiskFailsTheBatch() async throws {
        try await Self.withOneStored { api, store, before in
            // No page past the ones the database has: the first insert that needs a new page is
            // refused with SQLITE_FULL inside the batch, where a change refused for its own sake
            // would fail alone. The disk refusing is no such refusal.
            let pages = try await store.writer.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            }
            try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
            var refused = 0
            var lastRefused = 0
            var created: Set<String> = []
            for n in 1...40 {
                let reply = try await api.submit(Self.low(n), idempotencyKey: "full-\(n)")
                if reply.status == .created {
                    created.insert(reply.json["id"].string ?? "")
                    continue
                }
                refused += 1
                lastRefused = n
                #expect(reply.status == .serviceUnavailable, "\(reply)")
                #expect(reply.json["detail"].string?.contains("disk is full") == true, "\(reply)")
            }
            #expect(refused > 0, "no submission needed a new page")
            try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
            // Nothing of the refused ones was recorded: the store holds what it held and the
            // submissions that were answered 201, no more.
            let after = try await Self.storedIDs(api)
            #expect(after == before.union(created), "\(after.subtracting(before.union(created)))")
            // A refused one's idempotency key is free for the retry.
            let retried = try await api.submit(Self.low(lastRefused), idempotencyKey: "full-\(lastRefused)")
            #expect(retried.status == .created, "\(retried)")
            let verify = try await api.get("/v1/audit/verify", key: TestServer.Key.auditor)
            #expect(verify.json["intact"].bool == true, "\(verify)")
        }
    }

    @Test("a store on a read-only file system is refused at start, saying so; on the same disk made writable it opens")
    func aReadOnlyFileSystemAtStartIsRefused() async throws {
        guard let disk = Self.mountedDisk(megabytes: 8) else { return }
        defer { disk.unmount() }
        let state = StateDirectory(path: disk.path + "/state")
        try await SQLiteStore.open(state).close()
        try disk.remount(readOnly: true)
        do {
            let store = try SQLiteStore.open(state)
            try? await store.close()
            Issue.record("a store on a read-only file system was opened to be written")
        } catch let error as StoreError {
            #expect(error.code == .unavailable, "\(error)")
            #expect("\(error)".contains("read-only") && "\(error)".contains(state.databaseURL.path), "\(error)")
        }
        // Reading needs no writes: verify and the other read-only commands still open it.
        let reader = try SQLiteStore.open(state, createIfMissing: false)
        try await reader.close()
        try disk.remount(readOnly: false)
        let store = try SQLiteStore.open(state)
        try await store.close()
    }
}
