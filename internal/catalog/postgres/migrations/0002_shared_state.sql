-- Schema version 2: state shared by several zonal processes.

-- config_clock is a single-row counter that every config write bumps in
-- its own transaction, just before committing. Its row lock is held until
-- COMMIT, so config writers commit one at a time in version order: a
-- poller that saw version v has seen every write numbered v or less. A
-- sequence would not do: values are taken in one order and committed in
-- another, and "version > cursor" would skip a slow committer for ever.
-- It starts at 1 because cursor 0 means "tell me the current cursor".
CREATE TABLE config_clock (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	v   bigint NOT NULL
);
INSERT INTO config_clock (one, v) VALUES (true, 1);

-- version is the config_clock value of the row's last write (0 for rows
-- written before this migration, older than any cursor).
ALTER TABLE config ADD COLUMN version bigint NOT NULL DEFAULT 0;
CREATE INDEX config_by_version ON config (version);

-- Idempotency tokens (RenameObject's x-amz-client-token, ...). expires_ns
-- is in the database's clock, so every process agrees on expiry.
CREATE TABLE client_tokens (
	scope      bytea NOT NULL,
	token      bytea NOT NULL,
	value      bytea NOT NULL,
	expires_ns bigint NOT NULL,
	PRIMARY KEY (scope, token)
);
CREATE INDEX client_tokens_expiry ON client_tokens (expires_ns);
