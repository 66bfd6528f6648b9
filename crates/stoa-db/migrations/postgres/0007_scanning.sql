-- Scanning (issue 8). Results are cached per file content (an LFS SHA-256 or a git blob id),
-- so a file shared by many commits and repos is read once per scanner version; each scanned
-- commit keeps its list of files with their content keys and verdicts.
CREATE TABLE file_scans (
    content_key TEXT PRIMARY KEY,
    scanner_version BIGINT NOT NULL,
    status TEXT NOT NULL,
    report TEXT NOT NULL,
    scanned_at BIGINT NOT NULL
);
CREATE TABLE commit_scans (
    repo_id TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    scanned_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, commit_id)
);
-- Files held back from download by a quarantine policy until an administrator releases them.
CREATE TABLE quarantined_files (
    repo_id TEXT NOT NULL,
    content_key TEXT NOT NULL,
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    released_at BIGINT,
    PRIMARY KEY (repo_id, content_key)
);
-- Per-namespace (organisation or user) overrides of the instance's scanning policy.
CREATE TABLE scan_policies (
    namespace TEXT PRIMARY KEY,
    dangerous TEXT NOT NULL,
    unscannable TEXT NOT NULL
);
