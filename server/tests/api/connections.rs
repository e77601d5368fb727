//! Slow and idle clients are cut off: headers that trickle in, a
//! keep-alive connection left open, a connection that sends nothing, more
//! connections than allowed, and a request that runs too long. Raw TCP on
//! loopback, against the real server with short limits.

use crate::helpers::{Engine, TestApp, spawn_app_configured};
use herald::connections::ConnectionLimits;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADERS: Duration = Duration::from_millis(800);
const IDLE: Duration = Duration::from_millis(2_500);

const REQUEST: Duration = Duration::from_millis(1_500);

async fn spawn(max_connections: usize) -> TestApp {
    spawn_with(max_connections, HEADERS).await
}

async fn spawn_with(max_connections: usize, header_timeout: Duration) -> TestApp {
    spawn_app_configured(Engine::Sqlite, |config| {
        config.connections = ConnectionLimits {
            max_connections,
            header_timeout,
            idle_timeout: IDLE.max(header_timeout + Duration::from_secs(1)),
            ..ConnectionLimits::default()
        };
        config.request_timeout = REQUEST;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection (or `within` passes);
/// answers what was read and when it closed.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into(), None),
            Ok(Ok(0) | Err(_)) => {
                return (
                    String::from_utf8_lossy(&got).into(),
                    Some(started.elapsed()),
                );
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: herald\r\n\r\n";

#[tokio::test]
async fn headers_that_trickle_in_are_cut_at_the_header_timeout() {
    let app = spawn(100).await;
    let mut slow = connect(&app).await;
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: herald\r\n")
        .await
        .expect("write");
    // One header byte every 200 ms: never idle, never complete.
    let mut cut = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if slow.write_all(b"X").await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("a trickling client must be cut off");
    assert!(cut >= HEADERS && cut < HEADERS * 3, "cut after {cut:?}");
    // Everyone else is served meanwhile.
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_and_a_kept_alive_one_are_closed() {
    let app = spawn(100).await;
    let mut silent = connect(&app).await;
    let (_, closed) = until_closed(&mut silent, Duration::from_secs(10)).await;
    let closed = closed.expect("a silent connection must be closed");
    assert!(
        closed >= HEADERS && closed < HEADERS * 3,
        "closed after {closed:?}: it never started a request"
    );

    let mut kept = connect(&app).await;
    kept.write_all(HEALTHZ).await.expect("write");
    let mut first = [0u8; 1024];
    let n = kept.read(&mut first).await.expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    let (rest, closed) = until_closed(&mut kept, Duration::from_secs(10)).await;
    let closed = closed.expect("an idle keep-alive connection must be closed");
    assert!(rest.is_empty(), "{rest}");
    assert!(
        closed < HEADERS * 3,
        "closed after {closed:?}: the next request's headers are late"
    );
}

#[tokio::test]
async fn past_the_connection_limit_a_client_waits_until_one_closes() {
    let app = spawn_with(3, Duration::from_secs(5)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&app).await;
        // Each one in the middle of its headers.
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: herald\r\n")
            .await
            .expect("write");
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut waiting = connect(&app).await; // the kernel's backlog takes it
    waiting.write_all(HEALTHZ).await.expect("write");
    let mut buf = [0u8; 1024];
    let early = tokio::time::timeout(Duration::from_millis(400), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "served past the limit of 3");
    drop(held.pop());
    let n = tokio::time::timeout(Duration::from_secs(5), waiting.read(&mut buf))
        .await
        .expect("served once a connection closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn hundreds_of_idle_connections_are_all_closed_and_healthz_answers_throughout() {
    let app = spawn(10_000).await;
    let mut idle = Vec::new();
    for _ in 0..500 {
        idle.push(connect(&app).await);
    }
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    tokio::time::sleep(HEADERS * 3).await;
    let mut open = 0;
    for stream in &mut idle {
        let mut buf = [0u8; 16];
        match tokio::time::timeout(Duration::from_millis(20), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {}
            _ => open += 1,
        }
    }
    assert_eq!(open, 0, "connections left open");
}

#[tokio::test]
async fn the_idle_timeout_must_be_longer_than_the_request_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let db = herald::db::Db::connect(&format!("sqlite://{}/h.db", dir.path().display()))
        .await
        .expect("db");
    let config = herald::startup::Config {
        listen: "127.0.0.1:0".into(),
        connections: ConnectionLimits {
            idle_timeout: Duration::from_secs(5),
            ..ConnectionLimits::default()
        },
        request_timeout: Duration::from_secs(30),
        ..herald::startup::Config::default()
    };
    let refused = herald::startup::Application::build(config, db)
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("idle timeout"), "{refused}");
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_stopped_with_a_503_that_says_so() {
    let app = spawn(100).await;
    let mut stream = connect(&app).await;
    let path = format!("/api/v1/projects/{}/subscriptions", app.project.id);
    // The body never arrives in full: the handler waits for it.
    stream
        .write_all(
            format!("POST {path} HTTP/1.1\r\nHost: herald\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"endpoint\":")
                .as_bytes(),
        )
        .await
        .expect("write");
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("answered")
        .expect("read");
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"timed_out\""), "{answer}");
    assert!(took >= REQUEST && took < REQUEST * 3, "{took:?}");
    let stored: i64 = sqlx::query_scalar("select count(*) from subscriptions")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_client_that_stops_reading_its_answer_is_cut_at_the_idle_timeout() {
    let site = tempfile::tempdir().expect("dir");
    let size = 64 * 1024 * 1024;
    std::fs::write(site.path().join("big.bin"), vec![7u8; size]).expect("write");
    let root = site.path().to_path_buf();
    let app = spawn_app_configured(Engine::Sqlite, move |config| {
        config.site_dir = root;
        config.connections = ConnectionLimits {
            header_timeout: HEADERS,
            idle_timeout: IDLE,
            ..ConnectionLimits::default()
        };
        config.request_timeout = REQUEST;
    })
    .await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: herald\r\n\r\n")
        .await
        .expect("write");
    // Not reading: the server's writes stall once the socket buffers fill.
    tokio::time::sleep(IDLE + Duration::from_secs(2)).await;
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => received += n,
            Err(_) => break false,
        }
    };
    assert!(closed, "the connection stayed open after {received} bytes");
    assert!(
        received < size,
        "all {received} bytes arrived: the writes never stalled"
    );
}
