-- Users, tokens, repos, the LFS object registry, download counts and commit intents.
-- The PostgreSQL twin of sqlite/0001_init.sql: same tables, columns and constraints.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    fullname TEXT NOT NULL,
    email TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE repos (
    id TEXT PRIMARY KEY,
    repo_type TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    -- lower-cased "namespace/name": ids are case-insensitive
    repo_key TEXT NOT NULL,
    private BOOLEAN NOT NULL,
    owner_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    downloads_all_time BIGINT NOT NULL DEFAULT 0,
    likes BIGINT NOT NULL DEFAULT 0,
    UNIQUE (repo_type, repo_key)
);
CREATE INDEX repos_last_modified ON repos (repo_type, last_modified);
CREATE INDEX repos_namespace ON repos (repo_type, namespace);

CREATE TABLE repo_tags (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (repo_id, tag)
);
CREATE INDEX repo_tags_tag ON repo_tags (tag);

CREATE TABLE repo_downloads (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (repo_id, day)
);

CREATE TABLE lfs_objects (
    oid TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Objects the repo's history references: what readers of the repo may download.
CREATE TABLE repo_lfs_objects (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    oid TEXT NOT NULL,
    PRIMARY KEY (repo_id, oid)
);

-- Objects a writer uploaded through the repo: what its commits may reference.
CREATE TABLE lfs_upload_grants (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    oid TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, oid)
);

-- Written before a ref moves, applied and deleted after; see stoa-core commit.rs.
CREATE TABLE commit_intents (
    id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL,
    ref_name TEXT NOT NULL,
    new_commit TEXT NOT NULL,
    lfs_oids TEXT NOT NULL,
    committed_at BIGINT NOT NULL,
    is_default_branch BOOLEAN NOT NULL,
    tags TEXT
);
