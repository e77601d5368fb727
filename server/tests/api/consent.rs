//! Rule 6: the consent log is append-only, hashed, and outlives purged subscriptions.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use serde_json::json;
use sqlx::Row;

both_engines!(
    the_database_refuses_to_update_or_delete_consent_rows,
    append_only
);
async fn append_only(app: TestApp) {
    app.subscribe(&Browser::new()).await;
    let update = sqlx::query("update consent_log set kind = 'opt_out'")
        .execute(app.db.pool())
        .await;
    assert!(update.is_err(), "update must be refused");
    let delete = sqlx::query("delete from consent_log")
        .execute(app.db.pool())
        .await;
    assert!(delete.is_err(), "delete must be refused");
    assert_eq!(app.consent_count("opt_in").await, 1);
}

both_engines!(
    consent_rows_hold_salted_hashes_and_the_disclosure_version,
    hashed
);
async fn hashed(app: TestApp) {
    let browser = Browser::new();
    let mut body = browser.subscription();
    body["disclosure_version"] = json!("2026-11");
    body["uid"] = json!("nora");
    body["uid_signature"] = json!(app.sign("nora"));
    let response = app
        .client
        .post(app.url("/subscriptions"))
        .header("user-agent", "TestBrowser/1.0")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    let rows = sqlx::query(
        "select kind, disclosure_version, ip_hash, user_agent_hash, uid_hash, endpoint_hash
         from consent_log where project_id = $1 order by id",
    )
    .bind(&app.project.id)
    .fetch_all(app.db.pool())
    .await
    .expect("rows");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let version: Option<String> = row.try_get("disclosure_version").expect("col");
        assert_eq!(version.as_deref(), Some("2026-11"));
        let ip: String = row.try_get("ip_hash").expect("ip");
        let ua: String = row.try_get("user_agent_hash").expect("ua");
        assert_eq!(ip.len(), 64);
        assert_ne!(
            ua,
            herald::secret::sha256_hex("TestBrowser/1.0"),
            "the hash is salted"
        );
        let endpoint_hash: String = row.try_get("endpoint_hash").expect("eh");
        assert_eq!(endpoint_hash, herald::secret::sha256_hex(&browser.endpoint));
    }
    let uid_hash: Option<String> = rows[1].try_get("uid_hash").expect("uid");
    assert!(uid_hash.is_some_and(|h| h.len() == 64 && h != "nora"));
}

both_engines!(purging_opted_out_subscriptions_keeps_the_consent_log, purge);
async fn purge(app: TestApp) {
    let gone = Browser::new();
    let kept = Browser::new();
    app.subscribe(&gone).await;
    app.subscribe(&kept).await;
    app.mutate("POST", "/subscriptions/opt-out", &gone.owned())
        .await;
    // Within the retention period nothing is purged.
    assert_eq!(
        herald::maintenance::purge_opted_out(&app.db, 90)
            .await
            .expect("purge"),
        0
    );
    // Backdate the opt-out beyond 90 days.
    sqlx::query("update subscriptions set opted_out_at = 0 where status = 'opted_out'")
        .execute(app.db.pool())
        .await
        .expect("backdate");
    assert_eq!(
        herald::maintenance::purge_opted_out(&app.db, 90)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(app.status(&gone).await.status, 404);
    assert_eq!(app.status(&kept).await.status, 200);
    assert_eq!(app.consent_count("opt_in").await, 2);
    assert_eq!(app.consent_count("opt_out").await, 1);
}
