-- Schema version 3: bucket tags (S3 Control TagResource, CreateBucket's
-- Tags), read with the bucket on every authorization (aws:ResourceTag).
-- buckets.tags = format=1 | binrec map, NULL when the bucket has none.
ALTER TABLE buckets ADD COLUMN tags bytea;
