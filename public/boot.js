// Starts podflow: imports the wasm-bindgen module and instantiates its wasm, both named by
// Trunk (with their content hashes) in the data- attributes of the <script> tag that loads
// this file (Trunk.toml: pattern_script). A file rather than Trunk's default inline script,
// so index.html's Content-Security-Policy needs no 'unsafe-inline', hash or nonce.
const tag = document.querySelector("script[data-podflow-js]");
// Relative to the page, not to this file (which lives in public/).
const url = (attribute) => new URL(tag.getAttribute(attribute), document.baseURI).href;
const { default: init } = await import(url("data-podflow-js"));
const wasm = await init({ module_or_path: url("data-podflow-wasm") });
// As Trunk's own start-up script does: lets a page (or scripts/measure-browser.mjs) reach
// the instance, e.g. its linear memory.
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
