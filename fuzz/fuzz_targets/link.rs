//! A share link's fragment and query → a lesson and a view, or one sentence why not:
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow::link;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = link::parse_fragment(text);
    let _ = link::parse_query(text);
});
