-- Which release answered each health sample, where the health URL's JSON
-- names it (`version`/`release`, `commit`/`sha`): the Deploys view shows,
-- per deployment, the health Readyroom saw while it served. `sound` is
-- the rollback verification's judgement of the same answer (2xx, saying
-- ok, no dependency degraded), stricter than `healthy` (2xx), which the
-- uptime check keeps. Rows written before these columns read as NULL and
-- count for no deployment.
ALTER TABLE health_samples ADD COLUMN version TEXT;
ALTER TABLE health_samples ADD COLUMN revision TEXT;
ALTER TABLE health_samples ADD COLUMN sound INTEGER;
