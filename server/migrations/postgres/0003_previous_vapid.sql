-- The key pair `herald vapid rotate` replaced: pushes to subscriptions made
-- with it are signed with it until their browsers resubscribe.
alter table projects add column previous_vapid_private_key text;
alter table projects add column previous_vapid_public_key text;
