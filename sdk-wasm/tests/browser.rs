//! SDK modules in a real browser (wasm-bindgen-test, headless Chromium or
//! Firefox): capability detection, the IndexedDB mirror and queue, and the
//! sync client against a real Herald server when `HERALD_TEST_SERVER` and
//! `HERALD_TEST_PROJECT` were set at build time.
#![cfg(target_arch = "wasm32")]

use herald_sdk::store::{self, Mirror};
use herald_sdk::{browser, sync, util};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_test::*;

// The shared sync protocol's queue, driven directly.
#[wasm_bindgen(module = "/js/sync.js")]
extern "C" {
    fn change(method: &str, url: &str, body: &str) -> wasm_bindgen::JsValue;
    fn enqueue(change: &wasm_bindgen::JsValue) -> js_sys::Promise;
}

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_test_page_on_loopback_supports_push() {
    assert_eq!(browser::unsupported_reason(), None);
    let permission = browser::permission();
    assert!(
        ["granted", "denied", "default"].contains(&permission.as_str()),
        "{permission}"
    );
}

#[wasm_bindgen_test]
async fn the_mirror_round_trips_through_indexeddb() {
    let record = js_sys::JSON::parse(
        r#"{"server":"http://127.0.0.1:1","project":"p1","endpoint":"https://push.example/abc",
            "p256dh":"BPk","auth":"au","vapid_key":"BV","uid":"ann","tags":["a","b"],
            "topics":["news"],"frequency":"daily_digest","acked_at":1234}"#,
    )
    .expect("record");
    let text = |v: &wasm_bindgen::JsValue| String::from(js_sys::JSON::stringify(v).expect("json"));
    store::save(&Mirror(record.clone())).await.expect("save");
    let loaded = store::load().await.expect("load").expect("a mirror");
    assert_eq!(text(&loaded.0), text(&record));
    assert_eq!(loaded.text("endpoint"), "https://push.example/abc");
    // The server's answer replaces uid, tags, topics and frequency.
    loaded.apply(
        &js_sys::JSON::parse(r#"{"uid":null,"tags":["c"],"topics":[],"frequency":"weekly"}"#)
            .expect("state"),
    );
    assert!(loaded.get("uid").is_null());
    assert_eq!(text(&loaded.get("tags")), r#"["c"]"#);
    assert_eq!(text(&loaded.get("topics")), "[]");
    assert_eq!(loaded.text("frequency"), "weekly");
    store::clear().await.expect("clear");
    assert!(store::load().await.expect("load").is_none());
}

#[wasm_bindgen_test]
async fn timeouts_cut_off_a_promise_that_never_settles() {
    let never = js_sys::Promise::new(&mut |_, _| {});
    let result = util::with_timeout(never.into(), 50).await;
    assert_eq!(
        result.map_err(|e| e.code),
        Err(herald_sdk::error::Code::Timeout)
    );
}

#[wasm_bindgen_test]
async fn changes_reach_the_server_once_with_their_idempotency_key() {
    let (Some(server), Some(project)) = (
        option_env!("HERALD_TEST_SERVER"),
        option_env!("HERALD_TEST_PROJECT"),
    ) else {
        // Built without a server (plain `cargo test` for wasm): nothing to call.
        return;
    };
    let base = format!("{server}/api/v1/projects/{project}");
    // A real P-256 point (the project's own VAPID key serves as one).
    let vapid = sync::read("GET", &format!("{base}/vapid-public-key"), None)
        .await
        .expect("vapid key");
    let p256dh = util::get(&vapid, "key").as_string().expect("key");
    let endpoint = format!(
        "https://push.example/sdk-test/{}",
        js_sys::Math::random().to_bits()
    );
    let auth = util::b64url_encode(&[7u8; 16]);
    let body = format!(
        r#"{{"endpoint":"{endpoint}","keys":{{"p256dh":"{p256dh}","auth":"{auth}"}},"tags":["wasm"]}}"#
    );
    let state = sync::send("POST", &format!("{base}/subscriptions"), &body)
        .await
        .expect("subscribe");
    assert_eq!(
        util::get(&state, "status").as_string().as_deref(),
        Some("active")
    );
    let owned = format!(r#"{{"endpoint":"{endpoint}","auth":"{auth}"}}"#);
    assert_eq!(tags_on_server(&base, &owned).await, r#"["wasm"]"#);
    let wrong = format!(
        r#"{{"endpoint":"{endpoint}","auth":"{}"}}"#,
        util::b64url_encode(&[8u8; 16])
    );
    let refused = sync::send("POST", &format!("{base}/subscriptions/opt-out"), &wrong).await;
    assert!(
        matches!(&refused, Err(e) if e.code == herald_sdk::error::Code::Forbidden && e.status == 403),
        "{refused:?}"
    );
    assert!(sync::flush().await, "nothing left queued");

    // Changes queued while offline are replayed in order, once each: the
    // last one queued is what the server keeps.
    let url = format!("{base}/subscriptions/preferences");
    for tag in ["first", "second", "third"] {
        let body = format!(r#"{{"endpoint":"{endpoint}","auth":"{auth}","tags":["{tag}"]}}"#);
        wasm_bindgen_futures::JsFuture::from(enqueue(&change("PUT", &url, &body)))
            .await
            .expect("queued");
    }
    assert!(sync::flush().await, "the queue is empty once replayed");
    assert_eq!(tags_on_server(&base, &owned).await, r#"["third"]"#);
}

/// The subscription's tags as the server has them, as JSON text.
async fn tags_on_server(base: &str, owned: &str) -> String {
    let state = sync::read("POST", &format!("{base}/subscriptions/status"), Some(owned))
        .await
        .expect("status");
    String::from(js_sys::JSON::stringify(&util::get(&state, "tags")).expect("json"))
}

#[wasm_bindgen_test]
async fn without_a_user_gesture_subscribe_never_prompts_and_answers_why() {
    use wasm_bindgen::JsValue;
    let permission = browser::permission();
    let expected = match permission.as_str() {
        "default" => "needs-user-gesture",
        "denied" => "permission-denied",
        // A runner that grants notifications would really subscribe.
        _ => return,
    };
    let server = option_env!("HERALD_TEST_SERVER").unwrap_or("http://127.0.0.1:9");
    let options = js_sys::Object::new();
    util::set(&options, "server", server);
    util::set(
        &options,
        "project",
        option_env!("HERALD_TEST_PROJECT").unwrap_or("p"),
    );
    herald_sdk::command("init".into(), js_sys::Array::of1(&options))
        .await
        .expect("init");
    // The core answers with a coded rejection (herald.js opens the soft
    // prompt for it, and gives Pushpad-style callbacks their false).
    let error = herald_sdk::command(
        "subscribe".into(),
        js_sys::Array::of2(&JsValue::NULL, &js_sys::Object::new()),
    )
    .await
    .expect_err("no subscription without a gesture");
    assert_eq!(
        util::get(&error, "code").as_string().as_deref(),
        Some(expected)
    );
    // Nothing prompted, and status says so without prompting either.
    assert_eq!(browser::permission(), permission);
    let status = herald_sdk::command("status".into(), js_sys::Array::new())
        .await
        .expect("status");
    assert_eq!(util::get(&status, "subscribed"), JsValue::FALSE);
    assert_eq!(
        util::get(&status, "permission").as_string().as_deref(),
        Some(permission.as_str())
    );
}
