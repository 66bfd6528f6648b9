-- Xet storage: verified xorbs, file reconstructions, per-repo SHA-256 grants and mappings.
-- The PostgreSQL twin of sqlite/0002_xet.sql. Expand-only (new tables, one nullable column), so
-- an older node keeps working while it runs. Segment chunk indexes are u32, which INTEGER (i32)
-- cannot hold: they are BIGINT here (SQLite's INTEGER is 64-bit anyway).

CREATE TABLE xet_xorbs (
    hash TEXT PRIMARY KEY,
    stored_bytes BIGINT NOT NULL,
    -- per chunk: 32-byte hash, u64 LE uncompressed length, u64 LE end offset in the object
    chunk_table BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- Which repos (and users) uploaded a xorb: a shard may only reference xorbs visible to it.
CREATE TABLE xet_xorb_refs (
    xorb_hash TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (xorb_hash, repo_id)
);

CREATE TABLE xet_files (
    file_hash TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE xet_file_segments (
    file_hash TEXT NOT NULL REFERENCES xet_files (file_hash) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    xorb_hash TEXT NOT NULL,
    chunk_start BIGINT NOT NULL,
    chunk_end BIGINT NOT NULL,
    unpacked_bytes BIGINT NOT NULL,
    file_offset BIGINT NOT NULL,
    PRIMARY KEY (file_hash, idx)
);
CREATE INDEX xet_file_segments_xorb ON xet_file_segments (xorb_hash);

-- SHA-256 claims from shards, per repo: what a commit to that repo may reference.
CREATE TABLE xet_upload_grants (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, sha256)
);

-- Committed Xet files: the repo's history references sha256, served from file_hash.
CREATE TABLE repo_xet_files (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    PRIMARY KEY (repo_id, sha256)
);
CREATE INDEX repo_xet_files_file ON repo_xet_files (file_hash);

-- "sha256:file_hash" pairs, comma-separated, applied with the intent.
ALTER TABLE commit_intents ADD COLUMN xet_files TEXT;
