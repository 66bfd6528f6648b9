-- Collaboration: discussions and pull requests with their events, likes, collections, the
-- activity log, repo settings and the redirects a moved repo leaves behind.
-- Additive only (see lib.rs). Times in these tables are unix milliseconds: events of one
-- second must keep their order on every page that lists them.

ALTER TABLE repos ADD COLUMN discussions_disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Discussions and pull requests share one number sequence per repo.
CREATE TABLE discussions (
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    num BIGINT NOT NULL,
    is_pull_request BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    -- open | closed | merged | draft
    status TEXT NOT NULL,
    author_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- pull requests: the branch they merge into, and the commit that merged them
    base_ref TEXT,
    merge_commit TEXT,
    PRIMARY KEY (repo_id, num)
);
CREATE INDEX discussions_author ON discussions (author_user_id);

CREATE TABLE discussion_events (
    id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL,
    num BIGINT NOT NULL,
    -- order within the discussion (1, 2, ...)
    position BIGINT NOT NULL,
    -- comment | status-change | title-change | commit
    kind TEXT NOT NULL,
    author_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- JSON, shaped per kind
    data TEXT NOT NULL,
    UNIQUE (repo_id, num, position),
    FOREIGN KEY (repo_id, num) REFERENCES discussions (repo_id, num) ON DELETE CASCADE
);

CREATE TABLE likes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, repo_id)
);
CREATE INDEX likes_repo ON likes (repo_id, created_at);

-- Old names of moved repos; the live name of a repo always wins over a redirect.
CREATE TABLE repo_redirects (
    repo_type TEXT NOT NULL,
    repo_key TEXT NOT NULL,
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo_type, repo_key)
);

-- What happened, for the web pages and notifications: commits, pull requests, comments,
-- status changes, likes.
CREATE TABLE activity (
    id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    actor_user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX activity_repo ON activity (repo_id, created_at);
CREATE INDEX activity_actor ON activity (actor_user_id, created_at);

-- A commit's activity entry (and, on refs/pr/N, its pull request event) travel with its intent,
-- so recovery records them too.
ALTER TABLE commit_intents ADD COLUMN activity TEXT;
ALTER TABLE commit_intents ADD COLUMN pr_event TEXT;

CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    -- user (or, later, organisation) name, and its lower-cased key
    owner TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT,
    private BOOLEAN NOT NULL,
    theme TEXT NOT NULL,
    position BIGINT NOT NULL,
    upvotes BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_key, title)
);

-- An item is a repo or another collection (exactly one of the two).
CREATE TABLE collection_items (
    id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    repo_id TEXT REFERENCES repos (id) ON DELETE CASCADE,
    child_collection_id TEXT REFERENCES collections (id) ON DELETE CASCADE,
    note TEXT,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (collection_id, repo_id),
    UNIQUE (collection_id, child_collection_id)
);
CREATE INDEX collection_items_repo ON collection_items (repo_id);

-- Files attached to comments. Their bytes are objects of the object store; only objects listed
-- here are served as attachments (knowing a hash never opens another repo's object).
CREATE TABLE attachments (
    oid TEXT NOT NULL,
    extension TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (oid, extension)
);
