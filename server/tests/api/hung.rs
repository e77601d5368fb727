//! Hung push endpoints must not starve the healthy ones on the same push
//! service: with more endpoints that never answer than the origin has
//! slots, the healthy subscriptions still get their push within seconds,
//! and the hung ones are retried later, not held for the whole timeout.

use crate::helpers::{Browser, Engine, spawn_app_configured};
use push_peer::{Mode, PushPeer};
use serde_json::json;
use std::time::{Duration, Instant};

const SLOTS: usize = 16;

async fn hung_and_healthy(engine: Engine) {
    let app = spawn_app_configured(engine, |config| {
        config.delivery.per_origin = SLOTS;
        config.delivery.concurrency = SLOTS * 4;
        // As in production: a push may take this long before it is given up.
        config.delivery.request_timeout = Duration::from_secs(10);
    })
    .await;
    let peer = PushPeer::start().await;
    peer.expect_vapid_key(&app.project.vapid_public_key);
    let (hung, healthy) = (SLOTS * 3, SLOTS * 12);
    let mut healthy_ids = Vec::new();
    for i in 0..hung + healthy {
        let sub = peer.new_subscription();
        // Interleaved, so the first claims hold both kinds.
        if i % 5 == 0 && i / 5 < hung {
            peer.set_mode(&sub.id, Mode::Hang);
        } else {
            healthy_ids.push(sub.id.clone());
        }
        let answer = app.subscribe(&Browser::from_peer(&sub)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    let started = Instant::now();
    app.notify(json!({"title": "Everyone", "target": {"all": true}}))
        .await;
    let got = peer
        .wait_for(healthy_ids.len(), Duration::from_secs(15))
        .await;
    let took = started.elapsed();
    assert_eq!(
        got.len(),
        healthy_ids.len(),
        "every healthy one, after {took:?}"
    );
    assert!(
        took < Duration::from_secs(4),
        "healthy ones waited {took:?} behind the hung ones"
    );
}

crate::both_engines_with!(
    more_hung_endpoints_than_slots_do_not_hold_back_the_healthy_ones_of_their_push_service,
    hung_and_healthy
);
