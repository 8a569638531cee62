-- Reliable messages kept until the recipient acknowledges them or they expire; the SQLite form of
-- sql/postgres/004_reliable_ack.sql. Upgrades the tables of 001 in place:
-- * direct_id is the id a stored message's Direct carries and the recipient's Ack names: made by IMQ (32 hex
--   characters), unique, never a sender's id. Rows stored before this script get one here.
-- * created_at is also the age that TtlDays expires and the pruning loop deletes by, in batches.
-- * Idempotency ids are scoped by sender: the sending user's id, or '/server' for REST calls and server
--   connections ('/' never appears in a user id). SQLite cannot change a primary key in place, so the table
--   is made again; ids recorded before this script belonged to no sender and are forgotten.
ALTER TABLE reliable_messages ADD COLUMN direct_id TEXT NULL;
UPDATE reliable_messages SET direct_id = lower(hex(randomblob(16))) WHERE direct_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ux_reliable_messages_direct_id ON reliable_messages (direct_id);
CREATE INDEX IF NOT EXISTS ix_reliable_messages_created_at ON reliable_messages (created_at);

DROP TABLE IF EXISTS direct_message_ids;
CREATE TABLE direct_message_ids (
    sender      TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (sender, recipient, message_id)
);
CREATE INDEX IF NOT EXISTS ix_direct_message_ids_created_at ON direct_message_ids (created_at);
