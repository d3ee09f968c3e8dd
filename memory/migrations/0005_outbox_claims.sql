-- Several `serve` processes may relay one outbox: a relay claims a notification before
-- delivering it, and another takes over only when the claim is older than its lease.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at BIGINT;
