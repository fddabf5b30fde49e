//! Tauri's build step, pointed at the config at the repository root, with
//! the app's one command declared so the capability file grants exactly it.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&["rpc"]));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}. Is ui/dist built? Run `npm install && npm run build` in ui/.");
    }
}
