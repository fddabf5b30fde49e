//! Embeds the built UI (`ui/dist`) when it exists. Without it the server
//! still builds and serves a page saying how to build the UI, so the Rust
//! side never depends on npm having run.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/dist");
    println!("cargo::rustc-check-cfg=cfg(ui_built)");
    println!("cargo::rerun-if-changed={}", dist.display());
    if dist.join("index.html").exists() {
        println!("cargo::rustc-cfg=ui_built");
    }
}
