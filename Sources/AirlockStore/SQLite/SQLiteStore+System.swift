import AirlockCore
import Foundation
import GRDB

extension SQLiteStore {
    public func freeze() async throws -> FreezeRecord? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT value, updated_at, updated_by FROM system_settings WHERE key = 'freeze'"))
            else { return nil }
            let value = try FreezeValue(json: row[0])
            return FreezeRecord(on: value.on, reason: value.reason, since: Date(microsecondsSince1970: row[1]), by: row[2])
        }
    }

    public func openReviewCount() async throws -> Int {
        try await writer.read { db in
            // Counted on the partial index of open reviews (`reviews_open_by_deadline`).
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM reviews INDEXED BY reviews_open_by_deadline WHERE status = 'open'"))
                ?? 0
        }
    }

    public func moveCounts(from: MutationStatus, to: MutationStatus, since: Date, bucketSeconds: Int) async throws
        -> [MoveCount]
    {
        precondition(bucketSeconds > 0)
        let width = Int64(bucketSeconds) * 1_000_000
        return try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT at / ? AS bucket, COUNT(*) FROM mutation_transitions INDEXED BY mutation_transitions_by_move
                    WHERE to_status = ? AND from_status = ? AND at >= ?
                    GROUP BY bucket ORDER BY bucket
                    """), arguments: [width, to.rawValue, from.rawValue, since.microsecondsSince1970]
            ).map { row -> MoveCount in
                let bucket: Int64 = row[0]
                return MoveCount(bucketStart: Date(microsecondsSince1970: bucket * width), count: row[1])
            }
        }
    }
}

extension SQLiteStore {
    public func tierCounts(since: Date, bucketSeconds: Int) async throws -> [TierCount] {
        precondition(bucketSeconds > 0)
        let width = Int64(bucketSeconds) * 1_000_000
        return try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT created_at / ? AS bucket, tier, COUNT(*) FROM mutations INDEXED BY mutations_by_time
                    WHERE created_at >= ? GROUP BY bucket, tier ORDER BY bucket, tier
                    """), arguments: [width, since.microsecondsSince1970]
            ).map { row -> TierCount in
                let bucket: Int64 = row[0]
                return TierCount(bucketStart: Date(microsecondsSince1970: bucket * width), tier: row[1], count: row[2])
            }
        }
    }

    public func reviews(openedSince since: Date) async throws -> [ReviewRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM reviews INDEXED BY reviews_by_opening WHERE opened_at >= ? ORDER BY opened_at, id"),
                arguments: [since.microsecondsSince1970]
            ).map(ReviewRecord.init(row:))
        }
    }
}

/// The stored value of the `freeze` setting.
struct FreezeValue: Codable {
    var on: Bool
    var reason: String?

    init(on: Bool, reason: String?) {
        self.on = on
        self.reason = reason
    }

    init(json text: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(text.utf8))
        } catch {
            throw StoreError(.corrupted, "the stored freeze setting does not read back: \(error)")
        }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
