//! `push-peer` binary for manual QA: starts a peer on 127.0.0.1, prints its origin and
//! one subscription (as `PushSubscription.toJSON()`), then prints each accepted message
//! and each rejection as it happens, until Ctrl-C.

use std::time::Duration;

use push_peer::PushPeer;

#[tokio::main]
async fn main() {
    let peer = PushPeer::start().await;
    println!("push-peer listening on {}", peer.origin());
    println!("subscription: {}", peer.new_subscription().to_json());
    println!("press Ctrl-C to stop");

    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let (mut shown, mut shown_rejections) = (0, 0);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            received = peer.wait_for(shown + 1, Duration::from_millis(500)) => {
                for message in received.iter().skip(shown) {
                    println!(
                        "accepted for {}: ttl={:?} urgency={:?} topic={:?} sub={} payload={}",
                        message.subscription,
                        message.ttl,
                        message.urgency,
                        message.topic,
                        message.vapid_sub,
                        String::from_utf8_lossy(&message.plaintext),
                    );
                }
                shown = received.len();
                let rejections = peer.rejections();
                for rejection in rejections.iter().skip(shown_rejections) {
                    println!("rejected: {rejection}");
                }
                shown_rejections = rejections.len();
            }
        }
    }
    println!(
        "stopping: {} requests, {} accepted, {} rejected",
        peer.total_requests(),
        shown,
        shown_rejections
    );
}
