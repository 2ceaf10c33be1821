//! Rebuilds the crate when a migration is added, changed or removed: `sqlx::migrate!` embeds
//! `migrations/` at compile time, but on stable Rust cargo does not know it read that folder
//! (an incremental build would keep the old list, and a server would miss a new migration).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
