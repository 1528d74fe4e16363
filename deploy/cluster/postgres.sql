-- The role and database of a zonal cluster's catalog. Run once, as a
-- PostgreSQL superuser:  psql -f deploy/cluster/postgres.sql
-- zonal creates its tables itself: each node applies the embedded schema
-- migrations at start, under an advisory lock (nodes starting together
-- migrate once), and refuses a schema newer than it knows.
CREATE ROLE zonal LOGIN PASSWORD 'change-me';
CREATE DATABASE zonal OWNER zonal ENCODING 'UTF8' TEMPLATE template0;
-- zonal acknowledges a write only after COMMIT returned: keep the
-- server's durability settings (fsync = on, synchronous_commit = on, or
-- remote_apply with a synchronous standby for failover without loss).
