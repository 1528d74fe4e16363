-- Schema version 1 of the zonal catalog on PostgreSQL.
--
-- Names (bucket names, object keys, upload ids, blob ids) are bytea so
-- that ordering is bytewise (memcmp), exactly Go's string order that the
-- Pebble engine and the S3 listing rules use, whatever the database's
-- collation; bytea also holds any byte an object key may contain.

CREATE TABLE buckets (
	name       bytea PRIMARY KEY,
	owner      text NOT NULL,
	region     text NOT NULL,
	zone       text NOT NULL,
	created_ns bigint NOT NULL,
	policy     bytea,
	encryption bytea,
	lifecycle  bytea
);
CREATE INDEX buckets_owner ON buckets (owner, name);

-- meta is the record without inline bytes (what a listing returns); data
-- holds the inline extents' bytes concatenated, in the same row so a read
-- always pairs one version's metadata with its own bytes.
CREATE TABLE objects (
	bucket bytea NOT NULL,
	key    bytea NOT NULL,
	meta   bytea NOT NULL,
	data   bytea,
	PRIMARY KEY (bucket, key)
);

CREATE TABLE uploads (
	bucket bytea NOT NULL,
	key    bytea NOT NULL,
	id     bytea NOT NULL,
	info   bytea NOT NULL,
	PRIMARY KEY (bucket, key, id)
);

CREATE TABLE parts (
	bucket bytea NOT NULL,
	key    bytea NOT NULL,
	id     bytea NOT NULL,
	number integer NOT NULL,
	info   bytea NOT NULL,
	PRIMARY KEY (bucket, key, id, number)
);

-- Records (objects and parts) referencing each blob; a row exists only
-- while the count is positive.
CREATE TABLE blob_refs (
	blob_id bytea PRIMARY KEY,
	refs    bigint NOT NULL CHECK (refs > 0)
);

CREATE TABLE gc_queue (
	blob_id   bytea PRIMARY KEY,
	queued_ns bigint NOT NULL
);
CREATE INDEX gc_queue_order ON gc_queue (queued_ns, blob_id);

CREATE TABLE config (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);
