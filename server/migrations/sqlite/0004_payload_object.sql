-- notifications.payload becomes a whole JSON object (the notification's
-- content, read back into a typed value): rows written before held its
-- members without the outer braces.
update notifications set payload = '{' || payload || '}' where payload not like '{%';

-- Why a notification could not be sent (its stored target cannot be read,
-- say); its status is then `failed`.
alter table notifications add column failure text;
