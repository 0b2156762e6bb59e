//! A kubectl command line → a command or kubectl's error: never a panic.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use podflow::sim::{kubectl::client::parse_command, scenarios};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let mut files = BTreeMap::new();
    files.insert("pod.yaml".to_string(), scenarios::NGINX.to_string());
    if let Err(message) = parse_command(line, &files) {
        assert!(!message.trim().is_empty());
    }
});
