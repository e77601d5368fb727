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

/// A host where every endpoint hangs: once it has left enough pushes
/// unanswered, only a couple at a time go to it; when it answers again,
/// everything is delivered.
async fn silent_host(engine: Engine) {
    let app = spawn_app_configured(engine, |config| {
        config.delivery.per_origin = SLOTS;
        config.delivery.concurrency = SLOTS * 4;
        config.delivery.request_timeout = Duration::from_secs(10);
        config.delivery.max_attempts = 20;
    })
    .await;
    let peer = PushPeer::start().await;
    peer.expect_vapid_key(&app.project.vapid_public_key);
    let mut ids = Vec::new();
    for _ in 0..SLOTS * 6 {
        let sub = peer.new_subscription();
        peer.set_mode(&sub.id, Mode::Hang);
        let answer = app.subscribe(&Browser::from_peer(&sub)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        ids.push(sub.id);
    }
    let id = app
        .notify(json!({"title": "Anyone there?", "target": {"all": true}}))
        .await;
    let attempts = |peer: &PushPeer| ids.iter().map(|id| peer.attempts_for(id)).sum::<usize>();
    // Silent for 5 s and 32 pushes: the breaker opens.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let before = attempts(&peer);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = attempts(&peer) - before;
    println!("a silent host: {before} attempts in the first 6 s, {during} in the next 2 s");
    // Open: two probes at a time, each given up after half a second.
    assert!(
        during <= 16,
        "{during} attempts in 2 s to a host that never answers"
    );
    for id in &ids {
        peer.set_mode(id, Mode::Accept);
    }
    let got = peer.wait_for(ids.len(), Duration::from_secs(30)).await;
    assert_eq!(got.len(), ids.len(), "all delivered once it answers");
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["sent"], ids.len(), "{progress}");
}

crate::both_engines_with!(
    a_host_that_never_answers_gets_two_pushes_at_a_time_until_it_does,
    silent_host
);
