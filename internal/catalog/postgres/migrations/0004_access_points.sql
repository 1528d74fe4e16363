-- Schema version 4: access points for directory buckets. record is
-- catalog.EncodeAccessPoint's form (policy, scope, tags); bucket and owner
-- are columns for DeleteBucket's check and for listing.
CREATE TABLE access_points (
	name   bytea PRIMARY KEY,
	bucket bytea NOT NULL,
	owner  text NOT NULL,
	record bytea NOT NULL
);
CREATE INDEX access_points_bucket ON access_points (bucket);
CREATE INDEX access_points_owner ON access_points (owner, name);
