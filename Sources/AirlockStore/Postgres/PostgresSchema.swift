import Logging
import PostgresNIO

/// The PostgreSQL schema: numbered migrations that are never edited once released, applied in one
/// transaction under an advisory lock (instances starting together migrate once), and the version
/// they reached in `airlock_schema`, so that an older Airlock refuses a database a newer one wrote.
///
/// The tables are those of the SQLite schema at its version 7 (times are microseconds since the
/// epoch in `BIGINT`, hashes `BYTEA`), so that a store copies across without conversion.
enum PostgresSchema {
    /// The schema version this build writes: the number of migrations it knows.
    static var version: Int { migrations.count }

    /// The key of the advisory lock migrations hold ("airlock" in ASCII).
    static let lockKey: Int64 = 0x6169_726c_6f63_6b

    static let migrations: [(name: String, sql: [String])] = [
        (
            "v1 mutations, reviews, votes, policy versions, signals, idempotency, audit log, outbox, learning",
            [
                """
                CREATE TABLE mutations (
                    id TEXT PRIMARY KEY,
                    status TEXT NOT NULL,
                    tier TEXT,
                    resource TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    actor_id TEXT NOT NULL,
                    policy_version TEXT,
                    document TEXT NOT NULL,
                    decision TEXT,
                    content_hash TEXT NOT NULL,
                    idempotency_key TEXT,
                    request_hash TEXT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    revision BIGINT NOT NULL,
                    before_values TEXT,
                    rollback_attempts BIGINT NOT NULL DEFAULT 0,
                    revision_of TEXT,
                    superseded_by TEXT,
                    revised_by TEXT
                )
                """,
                "CREATE INDEX mutations_by_status ON mutations (status, created_at)",
                "CREATE INDEX mutations_by_actor ON mutations (actor_id, created_at)",
                "CREATE INDEX mutations_by_time ON mutations (created_at, id)",
                """
                CREATE TABLE mutation_transitions (
                    id BIGSERIAL PRIMARY KEY,
                    mutation_id TEXT NOT NULL REFERENCES mutations (id),
                    from_status TEXT NOT NULL,
                    to_status TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    actor TEXT NOT NULL,
                    audit_seq BIGINT NOT NULL
                )
                """,
                "CREATE INDEX mutation_transitions_by_mutation ON mutation_transitions (mutation_id, id)",
                "CREATE INDEX mutation_transitions_by_move ON mutation_transitions (to_status, from_status, at)",
                """
                CREATE TABLE reviews (
                    id TEXT PRIMARY KEY,
                    mutation_id TEXT NOT NULL REFERENCES mutations (id),
                    mode TEXT NOT NULL,
                    status TEXT NOT NULL,
                    groups TEXT NOT NULL,
                    reject_after BIGINT NOT NULL,
                    deadline BIGINT,
                    escalations BIGINT NOT NULL,
                    opened_at BIGINT NOT NULL,
                    closed_at BIGINT
                )
                """,
                "CREATE INDEX reviews_by_mutation ON reviews (mutation_id, opened_at)",
                "CREATE UNIQUE INDEX reviews_one_open_per_mutation ON reviews (mutation_id) WHERE status = 'open'",
                "CREATE INDEX reviews_open_by_deadline ON reviews (deadline) WHERE status = 'open'",
                "CREATE INDEX reviews_by_opening ON reviews (opened_at)",
                """
                CREATE TABLE votes (
                    id BIGSERIAL PRIMARY KEY,
                    review_id TEXT NOT NULL REFERENCES reviews (id),
                    mutation_id TEXT NOT NULL REFERENCES mutations (id),
                    reviewer TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    note TEXT,
                    content_hash TEXT NOT NULL,
                    policy_version TEXT,
                    pool TEXT,
                    at BIGINT NOT NULL,
                    audit_seq BIGINT NOT NULL,
                    UNIQUE (mutation_id, reviewer)
                )
                """,
                "CREATE INDEX votes_by_review ON votes (review_id, id)",
                "CREATE INDEX votes_by_time ON votes (at)",
                """
                CREATE TABLE policy_versions (
                    hash TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    text TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    created_by TEXT NOT NULL,
                    activated_at BIGINT,
                    activated_by TEXT,
                    is_active BOOLEAN NOT NULL DEFAULT false,
                    position BIGINT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions (is_active) WHERE is_active",
                """
                CREATE TABLE signal_state (
                    key TEXT PRIMARY KEY,
                    blob BYTEA NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE idempotency_keys (
                    scope TEXT NOT NULL,
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    mutation_id TEXT,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (scope, key)
                )
                """,
                "CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at)",
                """
                CREATE TABLE executed_changes (
                    mutation_id TEXT PRIMARY KEY REFERENCES mutations (id),
                    change TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE system_settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    updated_by TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE audit_log (
                    seq BIGINT PRIMARY KEY,
                    time_us BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    mutation_id TEXT,
                    actor TEXT NOT NULL,
                    policy_version TEXT,
                    payload TEXT NOT NULL,
                    prev_hash BYTEA NOT NULL,
                    hash BYTEA NOT NULL
                )
                """,
                "CREATE INDEX audit_log_by_mutation ON audit_log (mutation_id) WHERE mutation_id IS NOT NULL",
                """
                CREATE TABLE audit_checkpoints (
                    tree_size BIGINT PRIMARY KEY,
                    root BYTEA NOT NULL,
                    time_us BIGINT NOT NULL,
                    key_id TEXT NOT NULL,
                    signature BYTEA NOT NULL
                )
                """,
                """
                -- One row: where the log ends. Every write transaction locks it first (FOR UPDATE), so
                -- appends from every instance take their turn at one point and the log stays one chain.
                CREATE TABLE audit_head (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    size BIGINT NOT NULL,
                    last_hash BYTEA NOT NULL,
                    last_time_us BIGINT NOT NULL,
                    frontier BYTEA NOT NULL,
                    checkpoint_size BIGINT NOT NULL,
                    checkpoint_time_us BIGINT NOT NULL
                )
                """,
                "INSERT INTO audit_head VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, ''::bytea, 0, 0)",
                """
                CREATE TABLE notification_events (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    mutation_id TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX notification_events_by_mutation ON notification_events (mutation_id, created_at)
                    WHERE mutation_id IS NOT NULL
                """,
                """
                CREATE TABLE notification_deliveries (
                    id BIGSERIAL PRIMARY KEY,
                    event_id TEXT NOT NULL REFERENCES notification_events (id),
                    target TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    last_error TEXT,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (event_id, target)
                )
                """,
                """
                CREATE INDEX notification_deliveries_due ON notification_deliveries (target, next_attempt_at, id)
                    WHERE status = 'pending'
                """,
                """
                CREATE TABLE shadow_results (
                    position BIGSERIAL,
                    mutation_id TEXT PRIMARY KEY,
                    shadow_version TEXT NOT NULL,
                    active_version TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    resource TEXT NOT NULL,
                    active_tier TEXT NOT NULL,
                    shadow_tier TEXT NOT NULL,
                    active_rules TEXT NOT NULL,
                    shadow_rules TEXT NOT NULL,
                    shadow_decision TEXT
                )
                """,
                "CREATE INDEX shadow_results_by_version ON shadow_results (shadow_version, at)",
                """
                CREATE TABLE decision_distributions (
                    hour BIGINT NOT NULL,
                    resource TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    bucket TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    PRIMARY KEY (hour, resource, dimension, bucket)
                )
                """,
            ]
        ),
        (
            "v2 work claims, the audit head's generation",
            [
                // Until when an instance holds a passed deadline or a mutation to reconcile it took
                // up (Store.claimDueReviews, Store.claimStaleMutations); NULL when none does.
                "ALTER TABLE reviews ADD COLUMN claimed_until BIGINT",
                "ALTER TABLE mutations ADD COLUMN claimed_until BIGINT",
                // How many group commits wrote: a writer that starts from the head it knew commits
                // only if no other wrote since (PostgresStore.run).
                "ALTER TABLE audit_head ADD COLUMN generation BIGINT NOT NULL DEFAULT 0",
            ]
        ),
        (
            "v3 reviewer queues",
            [
                // Each open review once per pool of its groups, in queue order: a reviewer's queue
                // walks its pools' entries up to its limit (PostgresStore.reviewQueue). Kept by a
                // trigger, so that every write of a review (a store copy too) keeps it.
                """
                CREATE TABLE review_pools (
                    pool TEXT NOT NULL,
                    review_id TEXT NOT NULL,
                    actor_id TEXT NOT NULL,
                    no_deadline BOOLEAN NOT NULL,
                    deadline BIGINT,
                    opened_at BIGINT NOT NULL,
                    PRIMARY KEY (pool, review_id)
                )
                """,
                "CREATE INDEX review_pools_queue ON review_pools (pool, no_deadline, deadline, opened_at, review_id, actor_id)",
                "CREATE INDEX review_pools_by_review ON review_pools (review_id)",
                """
                INSERT INTO review_pools (pool, review_id, actor_id, no_deadline, deadline, opened_at)
                SELECT DISTINCT g->>'pool', r.id, m.actor_id, r.deadline IS NULL, r.deadline, r.opened_at
                FROM reviews r JOIN mutations m ON m.id = r.mutation_id, jsonb_array_elements(r.groups::jsonb) g
                WHERE r.status = 'open'
                """,
                """
                CREATE FUNCTION airlock_review_pools() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'INSERT' THEN
                        DELETE FROM review_pools WHERE review_id = OLD.id;
                    END IF;
                    IF TG_OP <> 'DELETE' AND NEW.status = 'open' THEN
                        INSERT INTO review_pools (pool, review_id, actor_id, no_deadline, deadline, opened_at)
                        SELECT DISTINCT g->>'pool', NEW.id, (SELECT actor_id FROM mutations WHERE id = NEW.mutation_id),
                            NEW.deadline IS NULL, NEW.deadline, NEW.opened_at
                        FROM jsonb_array_elements(NEW.groups::jsonb) g;
                    END IF;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER review_pools_sync AFTER INSERT OR DELETE OR UPDATE OF status, groups, deadline, opened_at
                ON reviews FOR EACH ROW EXECUTE FUNCTION airlock_review_pools()
                """,
            ]
        ),
    ]

    /// Refuses a database from a newer Airlock, then applies the migrations it lacks (all of
    /// them, in one transaction, when `migrate` is true; otherwise a database that lacks any is
    /// refused with what to run).
    /// Returns the version the database was at.
    @discardableResult
    static func prepare(_ connection: PostgresConnection, logger: Logger, migrate: Bool, describe: String) async throws -> Int {
        try await connection.run("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            // Created only when migrating: opening a database to serve or read it needs no right
            // to create tables.
            if migrate {
                try await connection.run(
                    "CREATE TABLE IF NOT EXISTS airlock_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
                    logger: logger)
            }
            var found = 0
            let exists = try await connection.run("SELECT to_regclass('airlock_schema') IS NOT NULL", logger: logger)
                .first?.decode(Bool.self) ?? false
            if exists {
                for try await value in try await connection.query("SELECT version FROM airlock_schema WHERE id = 1", logger: logger)
                    .decode(Int.self)
                {
                    found = value
                }
            }
            if found > version {
                throw StoreError(
                    .schemaTooNew,
                    "the database \(describe) was written by a newer Airlock (schema version \(found); this build knows "
                        + "schema version \(version)). Upgrade airlock to open it; do not downgrade a database in place.")
            }
            if found < version {
                guard migrate else {
                    throw StoreError(
                        .schemaTooOld,
                        "the database \(describe) is at schema version \(found), this build needs \(version): run "
                            + "`airlock migrate` first")
                }
                for (_, statements) in migrations[found...] {
                    for statement in statements {
                        try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
                try await connection.run(
                    """
                    INSERT INTO airlock_schema (id, version) VALUES (1, \(version))
                    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version
                    """, logger: logger)
            }
            try await connection.run("COMMIT", logger: logger)
            return found
        } catch {
            await connection.rollBack(logger: logger)
            throw error
        }
    }
}

extension PostgresConnection {
    /// Runs a statement and reads its rows to the end: an error the server reports while executing
    /// it surfaces here (postgres-nio reports it only to a reader of the rows), not as a silent
    /// rollback at `COMMIT`.
    @discardableResult
    nonisolated(nonsending) func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// Rolls back the open transaction; when even that fails, closes the connection, so that it
    /// does not go back to the pool inside a transaction holding locks.
    nonisolated(nonsending) func rollBack(logger: Logger) async {
        do {
            try await run("ROLLBACK", logger: logger)
        } catch {
            try? await close()
        }
    }
}
