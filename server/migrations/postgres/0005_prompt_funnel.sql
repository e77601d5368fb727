-- The soft prompt's funnel, counted per project and UTC day: how often it
-- was shown, accepted (Allow clicked), dismissed, and what the browser's own
-- dialog answered. Counts only: no browser, user or address is recorded.
create table prompt_events (
    project_id text not null references projects (id) on delete cascade,
    -- Days since the Unix epoch (UTC).
    day        bigint not null,
    event      text not null check (event in ('shown', 'accepted', 'dismissed', 'granted', 'denied')),
    count      bigint not null default 0,
    primary key (project_id, day, event)
);
