//! Differential fuzz target for the fast line reader (`transcript::skim`).
//!
//! For every input taken as one line: when the fast path accepts it, `serde_json` must accept
//! it too and give the same record, field for field; the same for tool inputs. When the fast
//! path declines, nothing is asserted (the caller then uses `serde_json`'s answer).
#![no_main]

use claude_usage::transcript::record::{slow_record, ToolInput};
use claude_usage::transcript::skim;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(fast) = skim::record(text) {
        match slow_record(text) {
            Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "records differ: {text:?}"),
            Err(e) => panic!("fast path accepted a line serde_json refuses ({e}): {text:?}"),
        }
    }
    if let Some(fast) = skim::tool_input(text) {
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(), "not JSON: {text:?}");
        match ToolInput::parse_with_serde(text) {
            Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "tool inputs differ: {text:?}"),
            Err(e) => panic!("fast path accepted a tool input serde_json refuses ({e}): {text:?}"),
        }
    }
});
