//! Teaching presets, shared by the app's gallery and the tests.

/// What `kubectl run nginx --image=nginx --dry-run=client -o yaml` prints with a current
/// kubectl (reference B.1.1; `creationTimestamp: null` is omitted by newer clients).
pub const NGINX: &str = include_str!("nginx.yaml");
