//! The UI's TypeScript types are generated from the Rust command types and
//! committed (ARCHITECTURE.md rule 3). This test fails when they drift.
//! To regenerate: `UPDATE_BINDINGS=1 cargo test -p readyroom-api --test bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/bindings")
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.insert(name, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
}

fn generate(dir: &Path) {
    let cfg = ts_rs::Config::new()
        .with_out_dir(dir)
        .with_large_int("number");
    readyroom_api::export_bindings(&cfg).expect("export the bindings");
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let fresh = tempfile::tempdir().expect("tempdir");
    generate(fresh.path());
    let generated = files(fresh.path());
    assert!(
        generated.contains_key("Command.ts")
            && generated.contains_key("Scorecard.ts")
            && generated.contains_key("Responses.ts"),
        "{:?}",
        generated.keys()
    );
    let committed_path = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_path);
        std::fs::create_dir_all(&committed_path).expect("create bindings dir");
        for (name, text) in &generated {
            std::fs::write(committed_path.join(name), text).expect("write binding");
        }
        return;
    }
    let committed = files(&committed_path);
    let stale: Vec<&String> = generated
        .keys()
        .filter(|k| committed.get(*k) != generated.get(*k))
        .collect();
    let extra: Vec<&String> = committed
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "ui/src/bindings drifted from the Rust types (changed or missing: {stale:?}; no longer generated: {extra:?}). \
         Regenerate with: UPDATE_BINDINGS=1 cargo test -p readyroom-api --test bindings"
    );
}
