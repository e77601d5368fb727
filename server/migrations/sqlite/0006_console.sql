-- What the operator's console charts.

-- When a delivery left the queue (sent, failed, expired or cancelled): the
-- notification's timeline. Rows that ended before this column existed get
-- their best known time.
alter table deliveries add column finished_at integer;
update deliveries set finished_at = coalesce(sent_at, next_attempt_at)
    where state in ('sent', 'failed', 'expired', 'cancelled');

-- When the push service said a subscription is gone (Rule 3): the daily
-- subscriber chart. Before, only updated_at knew.
alter table subscriptions add column expired_at integer;
update subscriptions set expired_at = updated_at where status = 'expired';

-- Daily counts over a window read these ranges, not the whole table.
create index subscriptions_by_created on subscriptions (project_id, created_at);
create index subscriptions_expired on subscriptions (expired_at) where status = 'expired';
-- The console lists notifications newest first, a page at a time.
create index notifications_by_project on notifications (project_id, id);
