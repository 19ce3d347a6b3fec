//! The transcript core: pure Rust, no DuckDB types.
//!
//! Bytes become lines ([`lines`]), a line becomes a typed [`record::Record`] (through the fast
//! reader [`skim`] when it can, serde_json otherwise), and a file's
//! records become [`event::Event`]s and a [`summary::Summary`] ([`session`]). The rules are
//! those of the reference module (`usage_lib.py`, processor version 2) with the deliberate
//! differences listed in the README.

pub mod event;
pub mod lines;
pub mod record;
pub mod session;
pub mod skim;
pub mod summary;
pub mod timestamp;

pub use event::{Event, EventType, Fields};
pub use session::{scan_bytes, Needs, SessionOutput, SessionScanner};
pub use summary::Summary;
