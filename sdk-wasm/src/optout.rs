//! The full opt-out: the subscription ends in the browser (if there is
//! one) and on the server (rule 5), and the mirror is forgotten. `init`
//! runs it too when the user has blocked notifications since.

use crate::api::{self, owned};
use crate::config::Config;
use crate::error::{Code, Result};
use crate::push;
use crate::store;

/// Ends the subscription in the browser (if any) and on the server, and
/// forgets the mirror.
pub async fn opt_out(config: &Config) -> Result<bool> {
    let mirror = store::load().await?;
    let owner = match push::existing(config).await? {
        Some((_, sub)) => {
            let keys = push::keys(&sub)?;
            push::unsubscribe(&sub)?.await?;
            Some(owned(&keys.endpoint, &keys.auth))
        }
        None => mirror.map(|m| owned(&m.endpoint(), &m.auth())),
    };
    if let Some(owner) = owner {
        store::clear().await?;
        match api::change(config, "POST", "/subscriptions/opt-out", &owner).await {
            // Done in this browser either way: the queued opt-out lands
            // later, and a subscription the server does not know (or not
            // with this secret) gets nothing from it.
            Err(e) if !matches!(e.code, Code::Queued | Code::NotSubscribed | Code::Forbidden) => {
                return Err(e);
            }
            _ => {}
        }
    }
    Ok(true)
}
