//! The benchmark command, native half: `cargo run --release --example bench`.
//! Prints one JSON object per line (see `trainer::bench`); `make bench` also runs the
//! browser half in headless Chromium.

fn main() -> Result<(), trainer::Error> {
    let min_ms = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1500.0);
    trainer::bench::cpu_suite(min_ms, |r| {
        println!("{}", serde_json::to_string(r).expect("records serialise"))
    })
}
