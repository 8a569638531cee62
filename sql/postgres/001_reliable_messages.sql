-- Cluster store (PostgreSQL): reliable messages waiting for offline users, and the idempotency keys of
-- direct messages (kept at least 24 h). Same shape as sql/sqlite/001_reliable_messages.sql.
CREATE TABLE IF NOT EXISTS reliable_messages (
    seq         BIGSERIAL PRIMARY KEY,
    recipient   TEXT        NOT NULL,
    sender      TEXT        NULL,
    data        TEXT        NOT NULL,
    message_id  TEXT        NULL,
    created_at  BIGINT      NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_reliable_messages_recipient ON reliable_messages (recipient, seq);

CREATE TABLE IF NOT EXISTS direct_message_ids (
    recipient   TEXT        NOT NULL,
    message_id  TEXT        NOT NULL,
    answer      TEXT        NOT NULL,
    created_at  BIGINT      NOT NULL,
    PRIMARY KEY (recipient, message_id)
);
