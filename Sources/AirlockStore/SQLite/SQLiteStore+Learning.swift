import Foundation
import GRDB

/// What the learning loop reads: the shadow candidate and its results, the per-hour
/// distributions, and the votes of a window.
extension SQLiteStore {
    public func shadowPolicy() async throws -> ShadowSetting? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT value, updated_at, updated_by FROM system_settings WHERE key = 'shadow'")).map { row in
                ShadowSetting(version: row[0], since: Date(microsecondsSince1970: row[1]), by: row[2])
            }
        }
    }

    public func shadowResults(version: String?, since: Date?) async throws -> [ShadowResult] {
        try await writer.read { db in
            var sql = "SELECT * FROM shadow_results WHERE at >= ?"
            var arguments: StatementArguments = [since?.microsecondsSince1970 ?? Int64.min]
            if let version {
                sql += " AND shadow_version = ?"
                arguments += [version]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY at, rowid", arguments: arguments).map { row in
                func list(_ text: String) -> [String] { (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [] }
                return ShadowResult(
                    mutationID: row["mutation_id"], shadowVersion: row["shadow_version"], activeVersion: row["active_version"],
                    at: Date(microsecondsSince1970: row["at"]), resource: row["resource"], activeTier: row["active_tier"],
                    shadowTier: row["shadow_tier"], activeRules: list(row["active_rules"]), shadowRules: list(row["shadow_rules"]),
                    shadowDecision: row["shadow_decision"])
            }
        }
    }

    public func distributionCounts(from start: Date, to end: Date) async throws -> [DistributionCount] {
        try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT hour, resource, dimension, bucket, count FROM decision_distributions
                    WHERE hour >= ? AND hour < ? ORDER BY hour, resource, dimension, bucket
                    """),
                arguments: [start.microsecondsSince1970, end.microsecondsSince1970]
            ).map { row in
                DistributionCount(
                    hour: Date(microsecondsSince1970: row[0]), resource: row[1], dimension: row[2], bucket: row[3], count: row[4])
            }
        }
    }

    public func votes(castSince since: Date) async throws -> [VoteRecord] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM votes WHERE at >= ? ORDER BY at, id"), arguments: [since.microsecondsSince1970])
                .map(VoteRecord.init(row:))
        }
    }
}
