//! The command handlers in-process on a test host (Yaak's
//! `tests/test_host.rs`): a temp store, secrets in memory, a fixed clock
//! and a scripted source, so every handler is exercised in milliseconds.
//! The real sources, keychain and binary are tested in `tests/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use readyroom_api::commands::{Empty, EnvironmentFilter, EnvironmentRequest, SecretName};
use readyroom_api::scorecard::HistoryRequest;
use readyroom_api::secrets::{SecretOrigin, SetSecretRequest};
use readyroom_api::services::app_services;
use readyroom_api::{Api, ErrorCode, Event, EventSink, Host, Settings, SourcesFor};
use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::HEALTH;
use readyroom_core::evidence::{HttpOutcome, HttpProbe, HttpResponse, InputId};
use readyroom_core::scorecard::{Grade, Outcome};
use readyroom_secrets::{MemoryStore, SecretStore};
use readyroom_sources::{BoxFuture, Findings, Registry, RunContext, Source};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

/// Records every event, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn emit(&self, event: Event) {
        self.0.lock().expect("lock").push(event);
    }
}

impl Recorder {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

/// A health source answering with a status the test chooses.
struct ScriptedHealth {
    status: u16,
}

impl Source for ScriptedHealth {
    fn label(&self) -> &'static str {
        "health"
    }

    fn provides(&self) -> &'static [InputId] {
        &[HEALTH.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        !env.health_urls.is_empty()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            findings.set(
                &HEALTH,
                Ok(vec![HttpProbe {
                    url: "https://app.test/health".into(),
                    at: NOW,
                    elapsed_ms: 40.0,
                    outcome: HttpOutcome::Response(HttpResponse {
                        status: self.status,
                        headers: Default::default(),
                        json: None,
                        body_cut_at: None,
                        redirect: None,
                    }),
                }]),
            );
            findings.seen("https://app.test/health", Ok(()))
        })
    }
}

struct TestHost {
    dir: tempfile::TempDir,
    events: Arc<Recorder>,
    secrets: Arc<MemoryStore>,
}

impl TestHost {
    fn new(config: &str) -> TestHost {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), config).expect("config");
        TestHost {
            dir,
            events: Arc::new(Recorder::default()),
            secrets: Arc::new(MemoryStore::default()),
        }
    }

    /// An API on this host; two APIs on one host are two Readyroom
    /// processes sharing a store.
    fn api(&self, health_status: u16) -> Api {
        self.api_with(health_status, self.events.clone())
    }

    fn api_with(&self, health_status: u16, events: Arc<dyn EventSink>) -> Api {
        self.api_on(
            Arc::new(move |_store| {
                Registry::new(vec![Arc::new(ScriptedHealth {
                    status: health_status,
                })])
            }),
            self.secrets.clone(),
            events,
        )
    }

    fn api_on(
        &self,
        sources: SourcesFor,
        secrets: Arc<dyn SecretStore>,
        events: Arc<dyn EventSink>,
    ) -> Api {
        Api::on(Host {
            settings: Settings {
                config_path: Some(self.dir.path().join("config.toml")),
                store_path: self.dir.path().join("data/readyroom.db"),
                allow_actions: true,
            },
            events,
            secrets,
            clock: Arc::new(|| NOW),
            sources,
            keychain_timeout: KEYCHAIN_TIMEOUT,
        })
    }
}

/// Short, so the test of a keychain that never answers is quick.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_millis(300);

const PROD: &str = "[environments.prod]\nhealth_urls = [\"https://app.test/health\"]\n\n[environments.prod.postgres]\nurl_secret = \"prod/db\"\n";

fn prod() -> EnvironmentRequest {
    EnvironmentRequest {
        environment: "prod".into(),
    }
}

#[tokio::test]
async fn a_run_is_scored_stored_announced_and_read_back() {
    let host = TestHost::new(PROD);
    let api = host.api(200);
    let view = api.run_scorecard(prod()).await.expect("run");
    let card = view.scorecard.expect("scorecard");
    assert_eq!(card.measured_at, NOW, "the run takes the host's clock");
    let health = card
        .checks()
        .find(|c| c.id == "infra.health_endpoint")
        .expect("check");
    assert_eq!(health.outcome, Outcome::Pass);
    let headroom = card
        .checks()
        .find(|c| c.id == "infra.connection_headroom")
        .expect("check");
    assert_eq!(
        headroom.outcome,
        Outcome::Unknown,
        "no registered source gathers postgres here"
    );
    assert!(view.diff.is_none(), "a first run has nothing to diff");

    let events = host.events.take();
    assert_eq!(
        events,
        vec![
            Event::ScorecardStarted {
                environment: "prod".into(),
                probes: 1
            },
            Event::ProbeFinished {
                environment: "prod".into(),
                probe: "health".into(),
                done: 1,
                probes: 1
            },
            Event::ScorecardFinished {
                environment: "prod".into(),
                score: card.score,
                grade: card.grade
            },
        ]
    );

    let stored = api.get_scorecard(prod()).await.expect("get");
    assert_eq!(stored.scorecard.as_ref(), Some(&card));
    let history = api
        .list_history(HistoryRequest::default())
        .await
        .expect("history");
    assert_eq!(history.runs.len(), 1);
    assert_eq!(history.runs[0].grade, card.grade);
    let status = api.get_source_status(prod()).await.expect("status");
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].source, "health");
}

#[tokio::test]
async fn a_second_run_is_diffed_against_the_first() {
    let host = TestHost::new(PROD);
    host.api(200).run_scorecard(prod()).await.expect("healthy");
    let view = host
        .api(503)
        .run_scorecard(prod())
        .await
        .expect("unhealthy");
    let diff = view.diff.expect("diff");
    let change = diff
        .changes
        .iter()
        .find(|c| c.id == "infra.health_endpoint")
        .expect("health changed");
    assert_eq!(
        (change.before, change.after),
        (Some(Outcome::Pass), Some(Outcome::Fail))
    );
    assert!(diff.score_delta < 0.0);
}

#[tokio::test]
async fn an_unknown_environment_is_the_same_error_for_every_command() {
    let host = TestHost::new(PROD);
    let api = host.api(200);
    let nosuch = || EnvironmentRequest {
        environment: "nosuch".into(),
    };
    let errors = [
        api.get_scorecard(nosuch()).await.expect_err("get"),
        api.run_scorecard(nosuch()).await.expect_err("run"),
        api.list_history(HistoryRequest {
            environment: Some("nosuch".into()),
            limit: None,
        })
        .await
        .expect_err("history"),
        api.list_secrets(EnvironmentFilter {
            environment: Some("nosuch".into()),
        })
        .await
        .expect_err("secrets"),
    ];
    for e in errors {
        assert_eq!(e.code, ErrorCode::UnknownEnvironment, "{e:?}");
        assert_eq!(
            e.message,
            "unknown environment 'nosuch'; the config defines: prod"
        );
    }
    assert!(
        api.list_history(HistoryRequest::default())
            .await
            .expect("all")
            .runs
            .is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn secrets_go_in_and_never_come_back_out() {
    let host = TestHost::new(PROD);
    let api = host.api(200);
    let value = "postgres://app:pw-7f3a9c@db.internal/app";
    let listed = api
        .list_secrets(EnvironmentFilter::default())
        .await
        .expect("list");
    assert_eq!(listed.secrets.len(), 1);
    assert!(!listed.secrets[0].set);

    let set = api
        .set_secret(SetSecretRequest::new("prod/db", value))
        .await
        .expect("set");
    assert!(set.set);
    let listed = api
        .list_secrets(EnvironmentFilter::default())
        .await
        .expect("list");
    assert_eq!(listed.secrets[0].from, Some(SecretOrigin::Keychain));
    let wire = serde_json::to_string(&listed).expect("json");
    assert!(!wire.contains("pw-7f3a9c"), "{wire}");

    let bad = api
        .set_secret(SetSecretRequest::new("has space", value))
        .await
        .expect_err("bad name");
    assert_eq!(bad.code, ErrorCode::InvalidRequest);
    assert!(!bad.message.contains("pw-7f3a9c"), "{}", bad.message);

    let removed = api
        .remove_secret(SecretName {
            name: "prod/db".into(),
        })
        .await
        .expect("remove");
    assert!(removed.removed);
    let again = api
        .remove_secret(SecretName {
            name: "prod/db".into(),
        })
        .await
        .expect("remove again");
    assert!(!again.removed);
}

#[tokio::test]
async fn app_info_reports_every_problem_config_check_does() {
    let host = TestHost::new(
        "[settings]\nrubric = \"missing-rubric.toml\"\n\n[environments.prod]\nca_file = \"missing-ca.pem\"\n",
    );
    let info = host.api(200).get_app_info(Empty {}).await.expect("info");
    assert!(info.config_valid, "the config itself is usable");
    let paths: Vec<(&str, usize)> = info
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.line))
        .collect();
    assert_eq!(
        paths,
        vec![("settings.rubric", 2), ("environments.prod.ca_file", 5)]
    );
    assert_eq!(info.config_error, None);
    assert_eq!(info.environments.len(), 1);
}

#[tokio::test]
async fn a_malformed_command_is_an_invalid_request() {
    let host = TestHost::new(PROD);
    let e = host
        .api(200)
        .dispatch_json(serde_json::json!({"cmd": "get_scorecard", "payload": {}}))
        .await
        .expect_err("missing environment");
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let e = host
        .api(200)
        .dispatch_json(serde_json::json!({"cmd": "drop_tables", "payload": {}}))
        .await
        .expect_err("unknown command");
    assert_eq!(e.code, ErrorCode::InvalidRequest);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_window_sees_a_run_another_process_stored() {
    let host = TestHost::new(PROD);
    // The war-room screen: an API with its services running.
    let screen_events = Arc::new(Recorder::default());
    let screen = host.api_with(200, screen_events.clone());
    // Only the run watcher: the OTLP receiver would take a real port.
    let watcher: Vec<_> = app_services()
        .into_iter()
        .filter(|s| s.name() == "run watcher")
        .collect();
    screen.start_services(watcher);
    assert_eq!(screen.running_services(), vec!["run watcher"]);
    // Let the watcher take note of what is already stored.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Another process (the CLI, the desktop app) runs the scorecard.
    let other = host.api_with(200, Arc::new(Recorder::default()));
    let card = other
        .run_scorecard(prod())
        .await
        .expect("run")
        .scorecard
        .expect("card");

    let finished = Event::ScorecardFinished {
        environment: "prod".into(),
        score: card.score,
        grade: card.grade,
    };
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen.extend(screen_events.take());
        if seen.contains(&finished) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, vec![finished], "announced once, within 5 s");

    // The screen's own runs are announced by the run itself, not twice.
    screen.run_scorecard(prod()).await.expect("own run");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let own: Vec<Event> = screen_events
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::ScorecardFinished { .. }))
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");

    let aborted = screen.stop_services(Duration::from_secs(2)).await;
    assert!(aborted.is_empty(), "services stop when asked: {aborted:?}");
    assert!(screen.running_services().is_empty());
}

#[test]
fn grades_are_an_enum_on_the_wire() {
    assert_eq!(serde_json::json!(Grade::B), serde_json::json!("B"));
}

/// Ten times the keychain timeout: as good as forever to the run, and
/// short enough that the test runtime's shutdown need not wait long.
const PROMPT_WAIT: Duration = Duration::from_secs(3);

/// A keychain that shows an unlock prompt nobody answers.
struct PromptingKeychain;

impl SecretStore for PromptingKeychain {
    fn get(
        &self,
        _name: &str,
    ) -> readyroom_secrets::Result<
        Option<(readyroom_core::Sensitive<String>, readyroom_secrets::Origin)>,
    > {
        std::thread::sleep(PROMPT_WAIT);
        Ok(None)
    }
    fn set(&self, _: &str, _: readyroom_core::Sensitive<String>) -> readyroom_secrets::Result<()> {
        std::thread::sleep(PROMPT_WAIT);
        Ok(())
    }
    fn remove(&self, _: &str) -> readyroom_secrets::Result<bool> {
        std::thread::sleep(PROMPT_WAIT);
        Ok(false)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keychain_that_does_not_answer_costs_its_secrets_not_the_run() {
    let host = TestHost::new(PROD);
    let api = host.api_on(
        Arc::new(|_store| {
            Registry::new(vec![
                Arc::new(ScriptedHealth { status: 200 }),
                Arc::new(readyroom_sources::postgres::PostgresSource),
            ])
        }),
        Arc::new(PromptingKeychain),
        host.events.clone(),
    );
    let run = tokio::time::timeout(Duration::from_secs(10), api.run_scorecard(prod()))
        .await
        .expect("the run does not wait for the keychain")
        .expect("the run completes");
    let card = run.scorecard.expect("scorecard");
    let check = |id: &str| card.checks().find(|c| c.id == id).expect("check").clone();
    assert_eq!(check("infra.health_endpoint").outcome, Outcome::Pass);
    let headroom = check("infra.connection_headroom");
    assert_eq!(headroom.outcome, Outcome::Unknown);
    assert!(
        headroom
            .explanation
            .contains("the keychain did not answer within"),
        "{}",
        headroom.explanation
    );
    // The Secrets view and storing a secret say so too, instead of hanging.
    for err in [
        api.list_secrets(EnvironmentFilter::default())
            .await
            .map(|_| ())
            .expect_err("times out"),
        api.set_secret(SetSecretRequest::new("prod/db", "postgres://u:pw@h/db"))
            .await
            .map(|_| ())
            .expect_err("times out"),
    ] {
        assert_eq!(err.code, ErrorCode::SecretsUnavailable);
        assert!(err.message.contains("did not answer"), "{}", err.message);
    }
    // The next run is not queued behind the stuck lookup.
    tokio::time::timeout(Duration::from_secs(10), api.run_scorecard(prod()))
        .await
        .expect("a second run is not blocked")
        .expect("completes");
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_clicks_on_run_now_are_at_most_two_rounds_of_probes() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let hits = Arc::new(AtomicU32::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let host = TestHost::new(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{addr}/health\"]\n"
    ));
    let api = host.api_on(
        Arc::new(|_store| Registry::new(vec![Arc::new(readyroom_sources::probes::HEALTH_PROBES)])),
        host.secrets.clone(),
        host.events.clone(),
    );
    // One run is under way when the ten clicks come.
    let first = tokio::spawn({
        let api = api.clone();
        async move { api.run_scorecard(prod()).await }
    });
    while hits.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let clicks: Vec<_> = (0..10)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.run_scorecard(prod()).await })
        })
        .collect();
    first.await.expect("join").expect("first run");
    for click in clicks {
        let view = click
            .await
            .expect("join")
            .expect("every click gets a scorecard");
        assert!(view.scorecard.is_some());
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "the run under way, then one shared by the ten clicks"
    );
    let history = api
        .list_history(HistoryRequest::default())
        .await
        .expect("history");
    assert_eq!(history.runs.len(), 2, "two rounds, two stored runs");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_of_one_environment_does_not_wait_for_anothers() {
    // `slow`'s health URL accepts and never answers, for 60 s.
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let slow_addr = hanging.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let app = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let fast_addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let host = TestHost::new(&format!(
        "[settings]\nprobe_timeout_ms = 60000\n\
         [environments.slow]\nhealth_urls = [\"http://{slow_addr}/health\"]\n\
         [environments.fast]\nhealth_urls = [\"http://{fast_addr}/health\"]\n"
    ));
    let api = host.api_on(
        Arc::new(|_store| Registry::new(vec![Arc::new(readyroom_sources::probes::HEALTH_PROBES)])),
        host.secrets.clone(),
        host.events.clone(),
    );
    let request = |name: &str| EnvironmentRequest {
        environment: name.to_string(),
    };
    let slow = tokio::spawn({
        let api = api.clone();
        let request = request("slow");
        async move { api.run_scorecard(request).await }
    });
    // Let `slow` take its lock and start probing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fast = tokio::time::timeout(Duration::from_secs(20), api.run_scorecard(request("fast")))
        .await
        .expect("`fast` is not queued behind `slow`")
        .expect("`fast` completes");
    assert!(fast.scorecard.is_some());
    assert!(!slow.is_finished(), "`slow` is still waiting on its target");
    slow.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn span_retention_keeps_the_configured_days_of_spans() {
    use readyroom_core::traces::{Attributes, Span, SpanId, SpanKind, StatusCode, TraceId};
    use readyroom_store::{Attributed, SpanStore};
    let host = TestHost::new("[settings.spans]\nretention_days = 3\n[environments.prod]\n");
    let spans_path = host.dir.path().join("data/spans.db");
    let day = |days_ago: i64, id: u8| Span {
        trace_id: TraceId([id; 16]),
        span_id: SpanId([id; 8]),
        parent_span_id: None,
        service: "api".into(),
        name: "GET /".into(),
        kind: SpanKind::Server,
        start_unix_nano: u64::try_from(
            (NOW - time::Duration::days(days_ago)).unix_timestamp_nanos(),
        )
        .expect("after 1970"),
        end_unix_nano: u64::try_from((NOW - time::Duration::days(days_ago)).unix_timestamp_nanos())
            .expect("after 1970")
            + 1_000,
        status: StatusCode::Unset,
        status_message: String::new(),
        attributes: Attributes::default(),
        events: Vec::new(),
        links: Vec::new(),
        resource: Default::default(),
    };
    let spans = [day(5, 1), day(4, 2), day(2, 3), day(0, 4)];
    {
        let store = SpanStore::open(&spans_path).await.expect("open");
        let batch: Vec<Attributed> = spans
            .iter()
            .map(|span| Attributed {
                environment: Some("prod".into()),
                span: span.clone(),
            })
            .collect();
        store.insert(batch, 1).await.expect("insert");
    }
    let api = host.api(200);
    let retention: Vec<_> = app_services()
        .into_iter()
        .filter(|s| s.name() == "span retention")
        .collect();
    assert_eq!(retention.len(), 1, "span retention is an app service");
    api.start_services(retention);
    let store = SpanStore::open(&spans_path).await.expect("open");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.count(Some("prod")).await.expect("count") != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "retention ran within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    api.stop_services(Duration::from_secs(2)).await;
    for (span, kept) in spans.iter().zip([false, false, true, true]) {
        let found = !store.trace(span.trace_id).await.expect("read").is_empty();
        assert_eq!(found, kept, "span {} days old", span.span_id);
    }
}
