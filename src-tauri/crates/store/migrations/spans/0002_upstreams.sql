-- Upstream calls (the LLM lens, rel.upstream_absorbed): whether a span
-- carries gen_ai.* attributes, and the host it called (lower case), so
-- the failed ones are found without reading every span back.
ALTER TABLE spans ADD COLUMN gen_ai INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spans ADD COLUMN peer TEXT;
-- Spans stored before this column existed: LLM calls are found by their
-- attribute names in the stored JSON, once.
UPDATE spans SET gen_ai = 1 WHERE kind = 3 AND span LIKE '%"gen\_ai.%' ESCAPE '\';
-- Failed CLIENT spans: few, and what the absorption check starts from.
CREATE INDEX spans_client_errors ON spans (environment, start_ns) WHERE kind = 3 AND status = 2;
