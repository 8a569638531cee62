-- Drain (docs/OPERATIONS.md, "Drain and rolling restart"): a node marked draining gets no new buckets or
-- replicas, the boss moves the buckets it owns to other nodes, and it exits once the map no longer names it.
-- Set by POST /api/v1/cluster/nodes/{id}/drain or by the node itself on SIGTERM; the heartbeat's upsert leaves
-- it alone, and a process starting under the id clears it.
ALTER TABLE imq_nodes ADD COLUMN IF NOT EXISTS draining BOOLEAN NOT NULL DEFAULT false;
