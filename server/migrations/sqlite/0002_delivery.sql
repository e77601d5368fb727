-- Notifications and their per-subscription deliveries (sqlite dialect).

-- One row per send. Its status is derived from its deliveries, except
-- 'cancelled', which is stored.
create table notifications (
    id                integer primary key autoincrement,
    project_id        text not null references projects (id) on delete cascade,
    -- The JSON members every delivery's payload shares (title, body, url, ...).
    payload           text not null,
    -- The target as sent: {"uids": [...]}, {"tags": "..."}, {"topic": "..."}, {"all": true}.
    target            text not null,
    ttl               integer not null,
    urgency           text,
    topic             text,
    send_at           integer not null,
    expires_at        integer not null,
    cancelled         integer not null default 0,
    -- How many subscriptions matched when it was accepted.
    total             integer not null,
    -- Fan-out progress: deliveries are written in batches, in subscription
    -- id order; fanout_cursor is the last subscription id written.
    fanout_cursor     integer not null default 0,
    -- The highest subscription id when it was accepted: later subscribers
    -- are not part of this send.
    fanout_until      integer not null default 0,
    fanout_done       integer not null default 0,
    created_at        integer not null
);
create index notifications_fanout on notifications (send_at) where fanout_done = 0;

-- One row per (notification, subscription): the queue.
-- state: queued -> sending (leased by a worker) -> sent | failed | expired | cancelled;
-- a retry puts it back to queued with a later next_attempt_at.
create table deliveries (
    id                integer primary key autoincrement,
    notification_id   integer not null references notifications (id) on delete cascade,
    subscription_id   integer not null,
    state             text not null default 'queued'
        check (state in ('queued', 'sending', 'sent', 'failed', 'expired', 'cancelled')),
    attempts          integer not null default 0,
    next_attempt_at   integer not null,
    -- A claimed delivery whose lease passes is taken over by another worker.
    lease_until       integer,
    expires_at        integer not null,
    last_status       integer,
    sent_at           integer,
    delivered_at      integer,
    clicked_at        integer
);
create index deliveries_ready on deliveries (next_attempt_at) where state = 'queued';
create index deliveries_leased on deliveries (lease_until) where state = 'sending';
-- Not on state: a delivery changes state several times, its notification never.
create index deliveries_by_notification on deliveries (notification_id);
create index deliveries_pending_by_subscription on deliveries (subscription_id) where state in ('queued', 'sending');
-- Fan-out walks active subscriptions of a project in id order.
create index subscriptions_active_by_project on subscriptions (project_id, id) where status = 'active';
