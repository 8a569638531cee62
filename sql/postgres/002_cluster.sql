-- The cluster's shared picture: the node registry (heartbeats) and the versioned bucket map, written
-- only by the boss (the holder of the boss advisory lock) and watched by every node (NOTIFY imq_map).
CREATE TABLE IF NOT EXISTS imq_nodes (
    id            TEXT        PRIMARY KEY,
    url           TEXT        NULL,
    roles         TEXT        NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS imq_bucket_map (
    id          INT         PRIMARY KEY CHECK (id = 1),
    version     BIGINT      NOT NULL,
    map         TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
