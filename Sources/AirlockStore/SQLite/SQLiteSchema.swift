import Foundation
import GRDB

/// The SQLite schema: named migrations that are never edited once released, and a version
/// marker (`PRAGMA user_version`) so that an older Airlock refuses a database a newer one wrote.
enum SQLiteSchema {
    /// The schema version this build writes: the number of migrations it knows.
    static let version = 9

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 mutations, reviews, votes, policy versions, signals, idempotency, audit log") {
            db in
            try db.execute(
                sql: """
                    CREATE TABLE mutations (
                        id TEXT PRIMARY KEY NOT NULL,
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
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        revision INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX mutations_by_status ON mutations(status, created_at);
                    CREATE INDEX mutations_by_actor ON mutations(actor_id, created_at);
                    CREATE INDEX mutations_by_time ON mutations(created_at, id);

                    CREATE TABLE mutation_transitions (
                        id INTEGER PRIMARY KEY,
                        mutation_id TEXT NOT NULL REFERENCES mutations(id),
                        from_status TEXT NOT NULL,
                        to_status TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        audit_seq INTEGER NOT NULL
                    );
                    CREATE INDEX mutation_transitions_by_mutation ON mutation_transitions(mutation_id, id);

                    CREATE TABLE reviews (
                        id TEXT PRIMARY KEY NOT NULL,
                        mutation_id TEXT NOT NULL REFERENCES mutations(id),
                        mode TEXT NOT NULL,
                        status TEXT NOT NULL,
                        groups TEXT NOT NULL,
                        reject_after INTEGER NOT NULL,
                        deadline INTEGER,
                        escalations INTEGER NOT NULL,
                        opened_at INTEGER NOT NULL,
                        closed_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX reviews_by_mutation ON reviews(mutation_id, opened_at);
                    CREATE UNIQUE INDEX reviews_one_open_per_mutation ON reviews(mutation_id) WHERE status = 'open';
                    CREATE INDEX reviews_open_by_deadline ON reviews(deadline) WHERE status = 'open';

                    CREATE TABLE votes (
                        id INTEGER PRIMARY KEY,
                        review_id TEXT NOT NULL REFERENCES reviews(id),
                        mutation_id TEXT NOT NULL REFERENCES mutations(id),
                        reviewer TEXT NOT NULL,
                        decision TEXT NOT NULL,
                        note TEXT,
                        content_hash TEXT NOT NULL,
                        policy_version TEXT,
                        pool TEXT,
                        at INTEGER NOT NULL,
                        audit_seq INTEGER NOT NULL,
                        UNIQUE (mutation_id, reviewer)
                    );
                    CREATE INDEX votes_by_review ON votes(review_id, id);

                    CREATE TABLE policy_versions (
                        hash TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        text TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        created_by TEXT NOT NULL,
                        activated_at INTEGER,
                        activated_by TEXT,
                        is_active INTEGER NOT NULL DEFAULT 0,
                        position INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions(is_active) WHERE is_active = 1;

                    CREATE TABLE signal_state (
                        key TEXT PRIMARY KEY NOT NULL,
                        blob BLOB NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE idempotency_keys (
                        scope TEXT NOT NULL,
                        key TEXT NOT NULL,
                        request_hash TEXT NOT NULL,
                        mutation_id TEXT,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (scope, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX idempotency_keys_by_time ON idempotency_keys(created_at);

                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY,
                        time_us INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        mutation_id TEXT,
                        actor TEXT NOT NULL,
                        policy_version TEXT,
                        payload TEXT NOT NULL,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    CREATE INDEX audit_log_by_mutation ON audit_log(mutation_id) WHERE mutation_id IS NOT NULL;

                    CREATE TABLE audit_checkpoints (
                        tree_size INTEGER PRIMARY KEY,
                        root BLOB NOT NULL,
                        time_us INTEGER NOT NULL,
                        key_id TEXT NOT NULL,
                        signature BLOB NOT NULL
                    );

                    -- One row: where the log ends, kept in the same transaction as every append.
                    CREATE TABLE audit_head (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        size INTEGER NOT NULL,
                        last_hash BLOB NOT NULL,
                        last_time_us INTEGER NOT NULL,
                        frontier BLOB NOT NULL,
                        checkpoint_size INTEGER NOT NULL,
                        checkpoint_time_us INTEGER NOT NULL
                    );
                    INSERT INTO audit_head VALUES (1, 0, zeroblob(32), 0, x'', 0, 0);
                    """)
        }
        migrator.registerMigration("v2 typed before values, executed changes, rollback attempts") { db in
            try db.execute(
                sql: """
                    ALTER TABLE mutations ADD COLUMN before_values TEXT;
                    ALTER TABLE mutations ADD COLUMN rollback_attempts INTEGER NOT NULL DEFAULT 0;
                    UPDATE mutations SET before_values = json_extract(decision, '$.mutation_before')
                        WHERE decision IS NOT NULL AND json_valid(decision)
                        AND json_type(decision, '$.mutation_before') = 'object';
                    UPDATE mutations SET rollback_attempts = (
                        SELECT COUNT(*) FROM mutation_transitions t
                        WHERE t.mutation_id = mutations.id AND t.to_status = 'rolling_back');

                    CREATE TABLE executed_changes (
                        mutation_id TEXT PRIMARY KEY NOT NULL REFERENCES mutations(id),
                        change TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    -- Earlier versions kept the change only in the `executed` audit records: the
                    -- latest one of each mutation is the change in force.
                    INSERT OR REPLACE INTO executed_changes (mutation_id, change, at)
                        SELECT mutation_id, json_extract(payload, '$.change'), time_us FROM audit_log
                        WHERE kind = 'executed' AND mutation_id IS NOT NULL AND json_valid(payload)
                        AND json_type(payload, '$.change') = 'object'
                        ORDER BY seq;
                    """)
        }
        migrator.registerMigration("v3 system settings") { db in
            try db.execute(
                sql: """
                    -- Settings an admin changes at run time (`freeze`: {on, reason} as JSON), one row each.
                    CREATE TABLE system_settings (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL,
                        updated_at INTEGER NOT NULL,
                        updated_by TEXT NOT NULL
                    ) WITHOUT ROWID;
                    -- The executions and rollbacks of the last hour (`system.rollback_rate_1h`), counted at
                    -- start-up without reading every transition.
                    CREATE INDEX mutation_transitions_by_move ON mutation_transitions(to_status, from_status, at);
                    """)
        }
        migrator.registerMigration("v4 notification outbox") { db in
            try db.execute(
                sql: """
                    -- An event once; one delivery per target, each with its own attempts and schedule.
                    CREATE TABLE notification_events (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        body TEXT NOT NULL,
                        mutation_id TEXT,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX notification_events_by_mutation ON notification_events(mutation_id, created_at)
                        WHERE mutation_id IS NOT NULL;

                    CREATE TABLE notification_deliveries (
                        id INTEGER PRIMARY KEY,
                        event_id TEXT NOT NULL REFERENCES notification_events(id),
                        target TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        next_attempt_at INTEGER NOT NULL,
                        last_error TEXT,
                        updated_at INTEGER NOT NULL,
                        UNIQUE (event_id, target)
                    );
                    -- What the delivery service asks: a target's pending deliveries by due time.
                    CREATE INDEX notification_deliveries_due ON notification_deliveries(target, next_attempt_at, id)
                        WHERE status = 'pending';
                    """)
        }
        migrator.registerMigration("v5 revisions") { db in
            try db.execute(
                sql: """
                    -- A reviewer's requested change is a new mutation revising the old, which it supersedes.
                    ALTER TABLE mutations ADD COLUMN revision_of TEXT;
                    ALTER TABLE mutations ADD COLUMN superseded_by TEXT;
                    -- Who wrote a revision's values (never one of its reviewers).
                    ALTER TABLE mutations ADD COLUMN revised_by TEXT;
                    """)
        }
        migrator.registerMigration("v6 reviews by opening time") { db in
            try db.execute(
                sql: """
                    -- The dashboard's reviews of the last hour, day or week, without reading every review.
                    CREATE INDEX reviews_by_opening ON reviews(opened_at);
                    """)
        }
        migrator.registerMigration("v7 shadow results, decision distributions, votes by time") { db in
            try db.execute(
                sql: """
                    -- How the candidate running in shadow decided each live mutation (the setting itself is
                    -- the `shadow` row of system_settings).
                    CREATE TABLE shadow_results (
                        mutation_id TEXT PRIMARY KEY NOT NULL,
                        shadow_version TEXT NOT NULL,
                        active_version TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        resource TEXT NOT NULL,
                        active_tier TEXT NOT NULL,
                        shadow_tier TEXT NOT NULL,
                        active_rules TEXT NOT NULL,
                        shadow_rules TEXT NOT NULL,
                        shadow_decision TEXT
                    );  -- with a rowid: results read back in the order they were written
                    CREATE INDEX shadow_results_by_version ON shadow_results(shadow_version, at);
                    -- Per hour and resource, how decisions fell by tier, most sensitive class and score band:
                    -- what drift checks compare.
                    CREATE TABLE decision_distributions (
                        hour INTEGER NOT NULL,
                        resource TEXT NOT NULL,
                        dimension TEXT NOT NULL,
                        bucket TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (hour, resource, dimension, bucket)
                    ) WITHOUT ROWID;
                    -- Reviewers' votes of a window (KPIs per reviewer, oversight checks).
                    CREATE INDEX votes_by_time ON votes(at);
                    """)
        }
        migrator.registerMigration("v8 work claims") { db in
            try db.execute(
                sql: """
                    -- Until when an instance holds a passed deadline or a mutation to reconcile it took up
                    -- (Store.claimDueReviews, Store.claimStaleMutations); NULL when none does.
                    ALTER TABLE reviews ADD COLUMN claimed_until INTEGER;
                    ALTER TABLE mutations ADD COLUMN claimed_until INTEGER;
                    -- The claims a store opened alone on its file clears (SQLiteStore.init).
                    CREATE INDEX reviews_claimed ON reviews(claimed_until) WHERE claimed_until IS NOT NULL;
                    CREATE INDEX mutations_claimed ON mutations(claimed_until) WHERE claimed_until IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v9 reviewer queues") { db in
            try db.execute(
                sql: """
                    -- Each open review once per pool of its groups, with its submitter, in queue order: a reviewer's queue
                    -- walks its pools' entries up to its limit (SQLiteStore.reviewQueue), among a
                    -- million open reviews as among ten. Kept by triggers, so that every write of a
                    -- review (opening, closing, escalation, a store copy) keeps it.
                    CREATE TABLE review_pools (
                        pool TEXT NOT NULL,
                        review_id TEXT NOT NULL,
                        actor_id TEXT NOT NULL,
                        no_deadline INTEGER NOT NULL,
                        deadline INTEGER,
                        opened_at INTEGER NOT NULL,
                        PRIMARY KEY (pool, review_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX review_pools_queue ON review_pools(pool, no_deadline, deadline, opened_at, review_id, actor_id);
                    CREATE INDEX review_pools_by_review ON review_pools(review_id);
                    INSERT INTO review_pools (pool, review_id, actor_id, no_deadline, deadline, opened_at)
                        SELECT DISTINCT json_extract(g.value, '$.pool'), r.id, m.actor_id, r.deadline IS NULL, r.deadline, r.opened_at
                        FROM reviews r JOIN mutations m ON m.id = r.mutation_id, json_each(r.groups) g WHERE r.status = 'open';
                    CREATE TRIGGER review_pools_on_insert AFTER INSERT ON reviews WHEN NEW.status = 'open'
                    BEGIN
                        INSERT INTO review_pools (pool, review_id, actor_id, no_deadline, deadline, opened_at)
                            SELECT DISTINCT json_extract(value, '$.pool'), NEW.id,
                                (SELECT actor_id FROM mutations WHERE id = NEW.mutation_id), NEW.deadline IS NULL, NEW.deadline,
                                NEW.opened_at
                            FROM json_each(NEW.groups);
                    END;
                    CREATE TRIGGER review_pools_on_update AFTER UPDATE OF status, groups, deadline, opened_at ON reviews
                    BEGIN
                        DELETE FROM review_pools WHERE review_id = OLD.id;
                        INSERT INTO review_pools (pool, review_id, actor_id, no_deadline, deadline, opened_at)
                            SELECT DISTINCT json_extract(value, '$.pool'), NEW.id,
                                (SELECT actor_id FROM mutations WHERE id = NEW.mutation_id), NEW.deadline IS NULL, NEW.deadline,
                                NEW.opened_at
                            FROM json_each(NEW.groups) WHERE NEW.status = 'open';
                    END;
                    CREATE TRIGGER review_pools_on_delete AFTER DELETE ON reviews
                    BEGIN
                        DELETE FROM review_pools WHERE review_id = OLD.id;
                    END;
                    """)
        }
        return migrator
    }

    /// Refuses a database from a newer Airlock, then migrates an older or new one to ``version``.
    static func prepare(_ writer: any DatabaseWriter, path: String) throws {
        let migrator = migrator
        let (found, superseded) = try writer.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0, try migrator.hasBeenSuperseded(db))
        }
        if found > version || superseded {
            throw StoreError(
                .schemaTooNew,
                "the database at \(path) was written by a newer Airlock ("
                    + (found > version ? "schema version \(found)" : "with migrations this build does not know")
                    + "; this build knows schema version \(version)). Upgrade airlock to open it; do not "
                    + "downgrade a database in place.")
        }
        try migrator.migrate(writer)
        if found < version {
            try writer.write { db in try db.execute(sql: "PRAGMA user_version = \(version)") }
        }
    }
}
