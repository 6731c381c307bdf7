-- Since 0002 a claim's evidence counts only once an operator verified it, so the snapshot other
-- services keep of a maker whose claims carry unverified evidence still says `evidenced` (badges
-- the public should no longer see). `snapshot_stale` marks those makers; the worker republishes
-- each one's snapshot (makers.maker.claims_updated) and every save clears the flag.
ALTER TABLE makers ADD COLUMN snapshot_stale boolean NOT NULL DEFAULT false;
UPDATE makers SET snapshot_stale = true WHERE pending_claims > 0;
CREATE INDEX makers_snapshot_stale ON makers (id) WHERE snapshot_stale;
