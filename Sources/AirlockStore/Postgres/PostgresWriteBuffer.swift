import Logging
import NIOCore
import PostgresNIO

/// The rows of a group commit that nothing in the transaction reads back: written when the batch
/// ends, in one statement with the audit head (``CombinedWrite``, an `unnest` of one array per
/// column for each table), rather than one round trip each.
///
/// - Audit records and transition rows are pure appends.
/// - A mutation created in the batch stays here until something needs it in the database: the
///   transitions and decision of its own change are applied to the row in memory (the same
///   checks as the `UPDATE … WHERE status = …` they replace), so a low-tier submission costs no
///   round trip of its own. Anything else that reads or references it flushes it first.
/// - Executed changes are upserts on their mutation, the last one winning.
///
/// A value type: a group commit that applies each change under its own savepoint copies the
/// buffer before a change and puts the copy back when the change is refused.
struct PostgresWriteBuffer {
    /// A mutation row not yet inserted.
    struct PendingMutation {
        var id: String
        var status: String
        var tier: String?
        var resource: String
        var operation: String
        var actorID: String
        var policyVersion: String?
        var document: String
        var decision: String?
        var contentHash: String
        var idempotencyKey: String?
        var requestHash: String?
        var createdAt: Int64
        var updatedAt: Int64
        var revision: Int64
        var beforeValues: String?
        var rollbackAttempts: Int64
        var revisionOf: String?
        var supersededBy: String?
        var revisedBy: String?
    }

    private var mutations: [PendingMutation] = []
    private var mutationIndex: [String: Int] = [:]

    private var audit = AuditColumns()
    private var transitions = TransitionColumns()
    private var executedOrder: [String] = []
    private var executed: [String: (change: String, at: Int64)] = [:]


    // MARK: Mutations

    var pendingMutationCount: Int { mutations.count }

    /// The marker of the error a combined write raises when a mutation id it inserts is taken.
    static let mutationTakenMarker = "airlock: a mutation id is already taken"


    func isPending(_ id: String) -> Bool { mutationIndex[id] != nil }

    /// The pending row of `id`, if it is one.
    func pending(_ id: String) -> PendingMutation? {
        mutationIndex[id].map { mutations[$0] }
    }

    /// Holds a new mutation; false when the batch already holds one with this id.
    mutating func add(_ mutation: PendingMutation) -> Bool {
        guard mutationIndex[mutation.id] == nil else { return false }
        mutationIndex[mutation.id] = mutations.count
        mutations.append(mutation)
        return true
    }

    /// Changes the pending row of `id` (which must be pending).
    mutating func update(_ id: String, _ body: (inout PendingMutation) -> Void) {
        guard let index = mutationIndex[id] else { preconditionFailure("mutation \(id) is not pending") }
        body(&mutations[index])
    }

    // MARK: Appends

    mutating func appendAudit(_ record: AuditRecord, entry: AuditEntry) {
        audit.seq.append(record.seq)
        audit.time.append(record.timeMicros)
        audit.kind.append(entry.kind.rawValue)
        audit.mutationID.values.append(entry.mutationID)
        audit.actor.append(entry.actor)
        audit.policyVersion.values.append(entry.policyVersion)
        audit.payload.append(entry.payload)
        audit.previousHash.append(ByteBuffer(bytes: record.previousHash.bytes))
        audit.hash.append(ByteBuffer(bytes: record.hash.bytes))
    }

    mutating func appendTransition(_ id: String, from: String, to: String, at: Int64, actor: String, auditSeq: Int64) {
        transitions.mutationID.append(id)
        transitions.from.append(from)
        transitions.to.append(to)
        transitions.at.append(at)
        transitions.actor.append(actor)
        transitions.auditSeq.append(auditSeq)
    }

    mutating func recordExecuted(_ id: String, change: String, at: Int64) {
        if executed.updateValue((change, at), forKey: id) == nil {
            executedOrder.append(id)
        }
    }

    // MARK: Writing

    /// Inserts the pending mutations now, in a statement of their own; throws `alreadyExists`
    /// (naming one) when the database already holds one of their ids.
    mutating nonisolated(nonsending) func flushMutations(_ session: PostgresWriteSession) async throws {
        guard !mutations.isEmpty else { return }
        var write = CombinedWrite()
        let inserted = addMutations(to: &write)
        let row = try await session.run(write.query(selecting: ["(SELECT count(*) FROM \(inserted))"])).first
        try checkMutationsInserted(row.map { try $0.decode(Int64.self) } ?? 0)
        mutations.removeAll(keepingCapacity: true)
        mutationIndex.removeAll(keepingCapacity: true)
    }

    /// Adds everything held to `write`: the mutations (the other rows reference them; foreign
    /// keys are checked at the end of the statement), executed changes, transitions and audit
    /// records. Returns the name of the part that inserts the mutations, if any: it returns a
    /// row for each inserted, and none for an id already taken.
    mutating func add(to write: inout CombinedWrite) -> String? {
        let inserted = mutations.isEmpty ? nil : addMutations(to: &write)
        if !executedOrder.isEmpty {
            let ids = write.bind(executedOrder)
            let changes = write.bind(executedOrder.map { executed[$0]!.change })
            let times = write.bind(executedOrder.map { executed[$0]!.at })
            write.add(
                """
                INSERT INTO executed_changes (mutation_id, change, at) SELECT * FROM unnest(\(ids)::text[], \(changes)::text[], \(times)::int8[])
                ON CONFLICT (mutation_id) DO UPDATE SET change = EXCLUDED.change, at = EXCLUDED.at
                """)
        }
        if !transitions.mutationID.isEmpty {
            let t = transitions
            // In array order: the rows' ids (a sequence) keep the order of the moves.
            write.add(
                """
                INSERT INTO mutation_transitions (mutation_id, from_status, to_status, at, actor, audit_seq)
                SELECT m, f, t, a, w, s FROM unnest(\(write.bind(t.mutationID))::text[], \(write.bind(t.from))::text[],
                    \(write.bind(t.to))::text[], \(write.bind(t.at))::int8[], \(write.bind(t.actor))::text[],
                    \(write.bind(t.auditSeq))::int8[]) WITH ORDINALITY AS x(m, f, t, a, w, s, n) ORDER BY n
                """)
        }
        if !audit.seq.isEmpty {
            let a = audit
            write.add(
                """
                INSERT INTO audit_log (seq, time_us, kind, mutation_id, actor, policy_version, payload, prev_hash, hash)
                SELECT * FROM unnest(\(write.bind(a.seq))::int8[], \(write.bind(a.time))::int8[], \(write.bind(a.kind))::text[],
                    \(write.bind(a.mutationID))::text[], \(write.bind(a.actor))::text[], \(write.bind(a.policyVersion))::text[],
                    \(write.bind(a.payload))::text[], \(write.bind(a.previousHash))::bytea[], \(write.bind(a.hash))::bytea[])
                """)
        }
        return inserted
    }

    /// Throws `alreadyExists` unless `count` rows were inserted, one per pending mutation.
    private func checkMutationsInserted(_ count: Int64) throws {
        guard count != Int64(mutations.count) else { return }
        // Which one is not known here; the group commit finds out by applying each change alone.
        throw StoreError(.alreadyExists, "one of the mutation ids \(mutations.prefix(3).map(\.id).joined(separator: ", ")) already exists")
    }

    private func addMutations(to write: inout CombinedWrite) -> String {
        var ids: [String] = [], statuses: [String] = [], tiers = NullableTextArray(), resources: [String] = []
        var operations: [String] = [], actors: [String] = [], versions = NullableTextArray(), documents: [String] = []
        var decisions = NullableTextArray(), hashes: [String] = [], keys = NullableTextArray(), requestHashes = NullableTextArray()
        var created: [Int64] = [], updated: [Int64] = [], revisions: [Int64] = [], before = NullableTextArray()
        var rollbacks: [Int64] = [], revisionOf = NullableTextArray(), supersededBy = NullableTextArray(), revisedBy = NullableTextArray()
        for m in mutations {
            ids.append(m.id); statuses.append(m.status); tiers.values.append(m.tier); resources.append(m.resource)
            operations.append(m.operation); actors.append(m.actorID); versions.values.append(m.policyVersion)
            documents.append(m.document); decisions.values.append(m.decision); hashes.append(m.contentHash)
            keys.values.append(m.idempotencyKey); requestHashes.values.append(m.requestHash); created.append(m.createdAt)
            updated.append(m.updatedAt); revisions.append(m.revision); before.values.append(m.beforeValues)
            rollbacks.append(m.rollbackAttempts); revisionOf.values.append(m.revisionOf)
            supersededBy.values.append(m.supersededBy); revisedBy.values.append(m.revisedBy)
        }
        return write.add(
            """
            INSERT INTO mutations (id, status, tier, resource, operation, actor_id, policy_version, document, decision,
                content_hash, idempotency_key, request_hash, created_at, updated_at, revision, before_values, rollback_attempts,
                revision_of, superseded_by, revised_by)
            SELECT * FROM unnest(\(write.bind(ids))::text[], \(write.bind(statuses))::text[], \(write.bind(tiers))::text[],
                \(write.bind(resources))::text[], \(write.bind(operations))::text[], \(write.bind(actors))::text[],
                \(write.bind(versions))::text[], \(write.bind(documents))::text[], \(write.bind(decisions))::text[],
                \(write.bind(hashes))::text[], \(write.bind(keys))::text[], \(write.bind(requestHashes))::text[],
                \(write.bind(created))::int8[], \(write.bind(updated))::int8[], \(write.bind(revisions))::int8[],
                \(write.bind(before))::text[], \(write.bind(rollbacks))::int8[], \(write.bind(revisionOf))::text[],
                \(write.bind(supersededBy))::text[], \(write.bind(revisedBy))::text[])
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """)
    }

    private struct AuditColumns {
        var seq: [Int64] = []
        var time: [Int64] = []
        var kind: [String] = []
        var mutationID = NullableTextArray()
        var actor: [String] = []
        var policyVersion = NullableTextArray()
        var payload: [String] = []
        var previousHash: [ByteBuffer] = []
        var hash: [ByteBuffer] = []
    }

    private struct TransitionColumns {
        var mutationID: [String] = []
        var from: [String] = []
        var to: [String] = []
        var at: [Int64] = []
        var actor: [String] = []
        var auditSeq: [Int64] = []
    }
}

/// A `text[]` parameter whose elements may be NULL (postgres-nio encodes arrays of non-optional
/// values only), in PostgreSQL's binary array format.
struct NullableTextArray: PostgresNonThrowingEncodable, Sendable {
    var values: [String?] = []

    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        // Dimensions, whether any element is NULL, the element type; then the one dimension's
        // length and lower bound; then each element as its length (-1 for NULL) and bytes.
        buffer.writeInteger(Int32(1))
        buffer.writeInteger(Int32(values.contains(nil) ? 1 : 0))
        buffer.writeInteger(Int32(bitPattern: PostgresDataType.text.rawValue))
        buffer.writeInteger(Int32(values.count))
        buffer.writeInteger(Int32(1))
        for value in values {
            guard let value else {
                buffer.writeInteger(Int32(-1))
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(Int32(0))
            let written = buffer.writeString(value)
            buffer.setInteger(Int32(written), at: lengthIndex)
        }
    }
}

/// Several data-modifying statements run as one (`WITH w1 AS (…), w2 AS (…) SELECT …`): one
/// round trip. Every part runs once, whether the final `SELECT` reads it or not, and all of them
/// see the same snapshot (so no two parts may touch the same row); foreign keys are checked at
/// the end of the statement.
struct CombinedWrite {
    private var parts: [String] = []
    private var binds = PostgresBindings()

    var isEmpty: Bool { parts.isEmpty }

    /// Binds a value; returns its placeholder (`$n`).
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Adds a statement (an `INSERT`, `UPDATE`, `DELETE`, or a `SELECT` the final one reads);
    /// returns the name to read its `RETURNING` rows by.
    @discardableResult
    mutating func add(_ statement: String) -> String {
        parts.append(statement)
        return "w\(parts.count)"
    }

    /// The statement, returning one row of `columns`.
    func query(selecting columns: [String]) -> PostgresQuery {
        let with = parts.enumerated().map { "w\($0.offset + 1) AS (\($0.element))" }.joined(separator: ",\n")
        let select = columns.isEmpty ? "1" : columns.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: (parts.isEmpty ? "" : "WITH " + with + "\n") + "SELECT " + select, binds: binds)
    }
}
