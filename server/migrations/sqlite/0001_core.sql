-- Herald's core tables (SQLite dialect; migrations/postgres has the twin).
-- Timestamps are Unix milliseconds in integers on both engines.

-- A project is one website: its keys, its secret, its tokens.
create table projects (
    id                text primary key,
    name              text not null,
    -- HMAC / JWT key for uid signatures; never logged.
    secret            text not null,
    -- Salt for the consent log's ip / user-agent / uid hashes.
    consent_salt      text not null,
    -- VAPID key pair: base64url raw P-256 scalar and uncompressed point.
    vapid_private_key text not null,
    vapid_public_key  text not null,
    created_at        integer not null
);

-- Backend API tokens, stored as SHA-256 hex; the token itself is shown once.
create table api_tokens (
    id         integer primary key autoincrement,
    project_id text not null references projects (id) on delete cascade,
    token_hash text not null unique,
    created_at integer not null
);

-- One row per browser push subscription. Looked up by the SHA-256 of its
-- endpoint; the raw endpoint and keys are kept only to deliver.
create table subscriptions (
    id                 integer primary key autoincrement,
    project_id         text not null references projects (id) on delete cascade,
    endpoint           text not null,
    endpoint_hash      text not null,
    p256dh             text not null,
    auth               text not null,
    -- Rule 1: one user at most; null means anonymous.
    uid                text,
    -- JSON arrays of strings, sorted and deduplicated.
    tags               text not null default '[]',
    topics             text not null default '[]',
    frequency          text not null default 'immediate'
        check (frequency in ('immediate', 'daily_digest', 'weekly_digest')),
    status             text not null default 'active'
        check (status in ('active', 'opted_out', 'expired')),
    disclosure_version text,
    created_at         integer not null,
    updated_at         integer not null,
    opted_out_at       integer,
    unique (project_id, endpoint_hash)
);
create index subscriptions_by_uid on subscriptions (project_id, uid) where uid is not null;
create index subscriptions_opted_out on subscriptions (opted_out_at) where status = 'opted_out';

-- Rule 6: the consent log. Append-only: the triggers below refuse UPDATE and
-- DELETE, so not even a bug in the app can rewrite history. It holds no raw
-- personal data: hashes only, and it outlives purged subscriptions.
create table consent_log (
    id                 integer primary key autoincrement,
    project_id         text not null,
    subscription_id    integer not null,
    endpoint_hash      text not null,
    kind               text not null
        check (kind in ('opt_in', 'opt_out', 'topic_update', 'frequency_update', 'uid_assign', 'uid_remove')),
    -- JSON: what the record is about (topics, tags, frequency).
    scope              text not null default '{}',
    uid_hash           text,
    disclosure_version text,
    ip_hash            text,
    user_agent_hash    text,
    created_at         integer not null
);
create index consent_log_by_subscription on consent_log (project_id, subscription_id);

create trigger consent_log_no_update before update on consent_log
begin
    select raise(abort, 'consent_log is append-only');
end;

create trigger consent_log_no_delete before delete on consent_log
begin
    select raise(abort, 'consent_log is append-only');
end;

-- Rule 7: the first answer to each Idempotency-Key, kept 24 h per project.
create table idempotency_keys (
    project_id    text not null,
    key           text not null,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash  text not null,
    status_code   integer not null,
    response_body text not null,
    created_at    integer not null,
    primary key (project_id, key)
);
create index idempotency_keys_by_age on idempotency_keys (created_at);
