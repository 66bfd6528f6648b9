-- Who may see and change what: organisations and their members, gated repos and access
-- requests, fine-grained and expiring tokens, passwords and browser sessions, the audit log.
-- Additive only (see lib.rs).

-- An organisation is a namespace like a user; names are unique across users and organisations
-- (checked by the domain on creation).
CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    fullname TEXT NOT NULL,
    private_by_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

-- role: read | contributor | write | admin
CREATE TABLE org_members (
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

-- NULL (not gated) | auto | manual
ALTER TABLE repos ADD COLUMN gated TEXT;

-- status: pending | accepted | rejected; fields: the form answers as JSON.
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    fields TEXT,
    rejection_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (repo_id, user_id)
);
CREATE INDEX access_requests_repo ON access_requests (repo_id, status, updated_at);

-- Fine-grained tokens keep their scopes as JSON; any token may expire.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN scopes TEXT;

-- Argon2id PHC strings; NULL for accounts that only use tokens.
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- Browser sessions: only the SHA-256 of the cookie value is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Security-relevant events. No foreign keys: entries outlive what they describe.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    actor_user_id TEXT,
    actor TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target TEXT NOT NULL,
    org_id TEXT,
    ip TEXT,
    data TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, created_at);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, created_at);
