//! Learner examples live beside this file; run them with `cargo run --example NAME`.
