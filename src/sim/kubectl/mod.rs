//! What kubectl prints and sends, as pure functions over objects.

pub mod print;
