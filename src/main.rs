//! Entry point of the browser app: mount the Leptos shell on the page.
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(podflow::ui::App);
}
