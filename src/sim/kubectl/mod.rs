//! What kubectl prints and sends, as pure functions over objects.

pub mod client;
pub mod print;
