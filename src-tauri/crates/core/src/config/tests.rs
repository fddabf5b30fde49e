use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<ParsedConfig, Vec<Problem>> {
    Config::parse(text, Path::new("/etc/readyroom"))
}

#[test]
fn parses_the_product_sketch() {
    let text = r#"
default_environment = "production"

[environments.production]
base_url = "https://app.example.com"
health_urls = ["https://app.example.com/api/health"]
protected_urls = ["https://app.example.com/api/contacts"]
metrics_url = "https://app.example.com/api/metrics"
ca_file = "certs/internal-ca.pem"

[environments.production.postgres]
url_secret = "production/database-url"

[environments.production.deploy]
provider = "vercel"
project_id = "prj_123"
token_secret = "production/vercel-token"
"#;
    let parsed = parse(text).expect("valid");
    let (name, env) = parsed.config.environment(None).expect("default env");
    assert_eq!(name, "production");
    assert_eq!(env.health_urls.len(), 1);
    assert_eq!(
        env.ca_file.as_deref(),
        Some(Path::new("/etc/readyroom/certs/internal-ca.pem"))
    );
    assert_eq!(
        env.postgres.as_ref().map(|p| p.statement_timeout_ms),
        Some(2_000)
    );
    assert_eq!(
        env.secret_refs(),
        vec![
            ("postgres.url_secret", "production/database-url"),
            ("deploy.token_secret", "production/vercel-token")
        ]
    );
}

#[test]
fn reports_every_problem_with_path_and_line() {
    let text = r#"[settings]
probe_timeout_ms = 5

[environments.prod]
base_url = "ftp://example.com"
health_urls = ["https://ok.example.com", "not a url"]
colour = "blue"

[environments.prod.postgres]
url = "postgres://app:hunter2@db/app"

[environments.prod.deploy]
provider = "heroku"
"#;
    let problems = parse(text).expect_err("invalid");
    let rendered: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let all = rendered.join("\n");
    assert!(
        all.contains("line 2: settings.probe_timeout_ms: 5 is out of range"),
        "{all}"
    );
    assert!(
        all.contains(
            "line 5: environments.prod.base_url: 'ftp' must be an http:// or https:// URL"
        ),
        "{all}"
    );
    assert!(
        all.contains("line 6: environments.prod.health_urls[1]: is not a valid URL"),
        "{all}"
    );
    assert!(
        all.contains("line 7: environments.prod.colour: unknown key 'colour'"),
        "{all}"
    );
    assert!(
        all.contains("line 10: environments.prod.postgres.url: unknown key 'url'"),
        "{all}"
    );
    assert!(all.contains("readyroom secret set NAME"), "{all}");
    assert!(
        all.contains("environments.prod.postgres.url_secret: is required but missing"),
        "{all}"
    );
    assert!(
        all.contains("line 13: environments.prod.deploy.provider: 'heroku' is not one of"),
        "{all}"
    );
    assert!(
        !all.contains("hunter2"),
        "a pasted password must not be echoed: {all}"
    );
    assert_eq!(problems.len(), 7, "{all}");
}

#[test]
fn syntax_errors_carry_their_line() {
    let problems = parse("[environments.prod]\nbase_url = \"https://x\nhealth_urls = []\n")
        .expect_err("bad toml");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 2, "{:?}", problems[0]);
    assert!(problems[0].message.starts_with("invalid TOML"));
}

#[test]
fn credentials_inside_urls_are_rejected_without_echo() {
    let problems = parse("[environments.p]\nbase_url = \"https://admin:s3cret@app.example.com\"\n")
        .expect_err("creds");
    let all = format!("{problems:?}");
    assert!(all.contains("must not carry credentials"), "{all}");
    assert!(!all.contains("s3cret"), "{all}");
}

#[test]
fn default_environment_must_exist() {
    let problems = parse("default_environment = \"staging\"\n[environments.prod]\n")
        .expect_err("dangling default");
    assert_eq!(problems[0].path, "default_environment");
    assert!(problems[0].message.contains("'staging'"));
}

#[test]
fn choosing_an_environment() {
    let two = parse("[environments.a]\n[environments.b]\n")
        .expect("valid")
        .config;
    assert!(two
        .environment(None)
        .expect_err("ambiguous")
        .contains("--env"));
    assert_eq!(two.environment(Some("b")).expect("b").0, "b");
    let err = two.environment(Some("c")).expect_err("unknown");
    assert!(
        err.contains("unknown environment 'c'") && err.contains("a, b"),
        "{err}"
    );
    let none = parse("").expect("empty is valid").config;
    assert!(none
        .environment(None)
        .expect_err("none")
        .contains("no environments"));
}

#[test]
fn secret_names_are_portable() {
    assert!(check_secret_name("production/database-url").is_ok());
    assert!(check_secret_name("").is_err());
    assert!(check_secret_name("has space").is_err());
}

#[test]
fn two_secret_names_for_one_environment_variable_are_a_problem() {
    let problems = parse(
        "[environments.prod.postgres]\nurl_secret = \"prod.db\"\n[environments.staging.postgres]\nurl_secret = \"prod_db\"\n[environments.qa.postgres]\nurl_secret = \"prod.db\"\n",
    )
    .expect_err("clash");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "environments.staging.postgres.url_secret");
    assert_eq!(problems[0].line, 4);
    assert_eq!(
        problems[0].message,
        "secret names 'prod.db' (at environments.prod.postgres.url_secret) and 'prod_db' both map to the environment variable READYROOM_SECRET_PROD_DB; rename one of them"
    );
}

#[test]
fn receiver_origins_and_match_rules_are_checked() {
    let problems = parse(
        "[settings.otlp]\nallowed_origins = [\"http://localhost:3000/\", \"ftp//x\"]\n\
         [environments.p.traces.match]\n\"service.namespace\" = 3\n",
    )
    .expect_err("bad origins and a non-string match value");
    let all = format!("{problems:?}");
    assert!(
        all.contains("write it as 'http://localhost:3000'"),
        "a trailing slash is not an origin: {all}"
    );
    assert!(all.contains("allowed_origins[1]"), "{all}");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "environments.p.traces.match.\"service.namespace\""),
        "{all}"
    );
    assert_eq!(problems.len(), 3, "{all}");
    let fine = parse(
        "[settings.otlp]\nallowed_origins = [\"https://app.example.com\"]\ngrpc = \"127.0.0.1:4317\"\n\
         [environments.p.traces.match]\n\"service.namespace\" = \"shop\"\n",
    )
    .expect("valid")
    .config;
    assert_eq!(
        fine.settings.otlp.allowed_origins,
        ["https://app.example.com"]
    );
    let rules = &fine.environments["p"]
        .traces
        .as_ref()
        .expect("traces")
        .match_resource;
    assert_eq!(
        rules.get("service.namespace").map(String::as_str),
        Some("shop")
    );
}

#[test]
fn a_quota_source_names_what_it_reads_through() {
    let text = "[environments.prod]\nbase_url = \"https://app.example.test/\"\n\n\
                [environments.prod.quota]\nsource = \"postgres\"\nrelation = \"usage\"\nquery = \"SELECT 1\"\n\n\
                [environments.web]\n\n[environments.web.quota]\nsource = \"http\"\n";
    let problems = Config::parse(text, Path::new("/base")).expect_err("problems");
    let messages: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("environments.prod.quota.source: source = \"postgres\" reads the usage through [environments.prod.postgres]")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(
            |m| m.starts_with("environments.prod.quota.query: set relation or query, not both")
        ),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m == "environments.web.quota.usage_url: source = \"http\" needs usage_url, the app's usage endpoint"),
        "{messages:?}"
    );
}

#[test]
fn each_deploy_provider_names_what_it_needs() {
    let text = "[environments.v.deploy]\nprovider = \"vercel\"\n\n\
                [environments.w.deploy]\nprovider = \"webhook\"\nurl = \"https://ci.example.test/hook\"\nbody = \"{not json\"\n\n\
                [environments.c.deploy]\nprovider = \"command\"\ncommand = []\nenv = { \"BAD-NAME\" = \"c/token\", GOOD = \" \" }\n\n\
                [environments.d.deploy]\nprovider = \"demo\"\n";
    let problems = Config::parse(text, Path::new("/base")).expect_err("problems");
    let messages: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    for expected in [
        "environments.v.deploy.project_id: provider = \"vercel\" needs project_id",
        "environments.v.deploy.token_secret: provider = \"vercel\" needs token_secret",
        "environments.w.deploy.body: body is not JSON",
        "environments.c.deploy.command: command is empty",
        "environments.c.deploy.env.BAD-NAME: \"BAD-NAME\" is not an environment variable name",
        "environments.c.deploy.env.GOOD: names no keychain entry",
        "environments.d.deploy.url: provider = \"demo\" needs url",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{expected}\n{messages:#?}"
        );
    }
    assert_eq!(messages.len(), 7, "{messages:#?}");
    let good = "[environments.c]\n\n[environments.c.deploy]\nprovider = \"command\"\ncommand = [\"kubectl\", \"rollout\", \"undo\", \"deployment/api\"]\nenv = { KUBE_TOKEN = \"c/kube-token\" }\n";
    let parsed = Config::parse(good, Path::new("/base")).expect("parses");
    let env = &parsed.config.environments["c"];
    assert_eq!(env.secret_refs(), vec![("deploy.env", "c/kube-token")]);
}
