-- The background job queue shared by every node (see stoa_core::coordination); the PostgreSQL
-- twin of sqlite/0004_jobs.sql. state: 'queued' (claimable when run_at has passed), 'running'
-- (held until lease_until), 'failed' (given up; kept for operators). Finished jobs are deleted.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedup_key TEXT,
    state TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
-- At most one live (queued or running) job per kind and dedup key.
CREATE UNIQUE INDEX jobs_dedup ON jobs (kind, dedup_key) WHERE dedup_key IS NOT NULL AND state <> 'failed';
