//! Embeds the built UI (`ui/dist`) when it exists. Without it the server
//! still builds and serves a page saying how to build the UI, so the Rust
//! side never depends on npm having run.
//!
//! Also derives the served UI's Content-Security-Policy from the desktop
//! app's (`tauri.conf.json`), so both transports run the UI under one
//! policy: only `connect-src` differs (the desktop talks over Tauri's IPC,
//! the browser to this server), and `frame-ancestors`, which only a header
//! can carry, is added.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let dist = root.join("ui/dist");
    println!("cargo::rustc-check-cfg=cfg(ui_built)");
    println!("cargo::rerun-if-changed={}", dist.display());
    if dist.join("index.html").exists() {
        println!("cargo::rustc-cfg=ui_built");
    }

    let conf = root.join("tauri.conf.json");
    println!("cargo::rerun-if-changed={}", conf.display());
    let text = std::fs::read_to_string(&conf)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", conf.display()));
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", conf.display()));
    let desktop = json
        .pointer("/app/security/csp")
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{} sets no app.security.csp string", conf.display()));
    let mut directives: Vec<String> = desktop
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !d.starts_with("connect-src"))
        .map(str::to_string)
        .collect();
    directives.push("connect-src 'self'".into());
    directives.push("frame-ancestors 'none'".into());
    println!(
        "cargo::rustc-env=READYROOM_SERVED_CSP={}",
        directives.join("; ")
    );
}
