-- Who holds a delivery's lease: the node id of the `herald serve` that
-- claimed it. A node that restarts with the same id takes its own back at
-- once; the others take a node's back once its heartbeat is a few seconds
-- old (a crash), or when it hands them back itself (SIGTERM).
alter table deliveries add column lease_owner text;
create index deliveries_leased_by on deliveries (lease_owner) where state = 'sending';

-- One row per delivering node, its heartbeat written every second.
create table nodes (
    id           text primary key,
    heartbeat_at bigint not null
);
