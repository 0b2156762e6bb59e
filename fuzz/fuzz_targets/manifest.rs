//! Manifest text → documents and diagnostics, then the editor's lint: never a panic, and
//! every diagnostic placed inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow::sim::{lint, manifest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = manifest::parse(text);
    let lines = text.split('\n').count();
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line <= lines + 1 && d.column >= 1, "{d:?}");
        assert!(d.kubectl_message("pod.yaml").starts_with("error: "));
    }
    for d in lint::api_diagnostics(text, &parsed) {
        assert!(d.line >= 1 && d.line <= lines + 1, "{d:?}");
    }
});
