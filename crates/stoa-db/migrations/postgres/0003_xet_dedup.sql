-- Global dedup index: a chunk the client may ask about -> a xorb that holds it.
CREATE TABLE xet_dedup_chunks (
    chunk_hash TEXT PRIMARY KEY,
    xorb_hash TEXT NOT NULL
);
CREATE INDEX xet_dedup_chunks_xorb ON xet_dedup_chunks (xorb_hash);
