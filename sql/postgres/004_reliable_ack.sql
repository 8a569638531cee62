-- Reliable messages kept until the recipient acknowledges them or they expire (docs/PROTOCOL.md, "Direct
-- messages"). Upgrades the tables of 001 in place:
-- * direct_id is the id a stored message's Direct carries and the recipient's Ack names: made by IMQ (32 hex
--   characters), unique, never a sender's id. Rows stored before this script get one here (the default is
--   evaluated per row); the default stays so that a node of the previous version, during a rolling upgrade,
--   still stores rows with an id.
-- * created_at is also the age that TtlDays expires and the pruning loop deletes by, in batches.
-- * Idempotency ids are scoped by sender: the sending user's id, or '/server' for REST calls and server
--   connections ('/' never appears in a user id). Ids recorded before this script belong to no sender ('')
--   and are never matched again; they are pruned with the others.
ALTER TABLE reliable_messages ADD COLUMN IF NOT EXISTS direct_id TEXT NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text);
CREATE UNIQUE INDEX IF NOT EXISTS ux_reliable_messages_direct_id ON reliable_messages (direct_id);
CREATE INDEX IF NOT EXISTS ix_reliable_messages_created_at ON reliable_messages (created_at);

ALTER TABLE direct_message_ids ADD COLUMN IF NOT EXISTS sender TEXT NOT NULL DEFAULT '';
ALTER TABLE direct_message_ids DROP CONSTRAINT IF EXISTS direct_message_ids_pkey;
ALTER TABLE direct_message_ids ADD PRIMARY KEY (sender, recipient, message_id);
CREATE INDEX IF NOT EXISTS ix_direct_message_ids_created_at ON direct_message_ids (created_at);
