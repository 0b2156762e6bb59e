//! The browser harness: a static file server for `dist/` under a sub-path, ChromeDriver,
//! and a WebDriver session in headless Chromium, torn down even when a test fails.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, MutexGuard};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The app is served from here, not from `/`, to prove `dist/` works under any sub-path.
pub const SUB_PATH: &str = "/courses/k8s-101/podflow/";

static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

pub struct Browser {
    client: Client,
    driver: Child,
    base: String,
    _lock: MutexGuard<'static, ()>,
}

fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("PODFLOW_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no release build at {}: run scripts/test.sh, or `trunk build --release --offline` first",
        dir.display()
    );
    dir
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Browser {
        let lock = ONE_BROWSER_AT_A_TIME.lock().await;
        let base = serve(dist_dir()).await;
        let port = free_port();
        let driver = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (scripts/setup.sh --browser installs Debian's chromium-driver)");
        let profile = std::env::temp_dir().join(format!("podflow-chromium-{port}"));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // Headless windows have a minimum width; device metrics give the exact
                // viewport, down to the 360 px of a narrow course-page iframe.
                "mobileEmulation": {
                    "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false }
                }
            },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        base,
                        _lock: lock,
                    }
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let mut driver = driver;
        let _ = driver.kill();
        panic!("could not start a WebDriver session: {last_error:?}");
    }

    /// Closes the session and ChromeDriver, then hands back the outcome (or fails the
    /// test with its error). Call it before asserting, so a failing assertion never
    /// leaves Chromium running.
    pub async fn finish<T>(mut self, outcome: Result<T, Error>) -> T {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        match outcome {
            Ok(v) => v,
            Err(e) => panic!("browser test failed: {e}"),
        }
    }

    /// Opens `path` (relative to the app's sub-path) and waits until the app has rendered.
    pub async fn open(&self, path: &str) -> Result<(), Error> {
        self.goto(path).await?;
        self.wait_for_app().await
    }

    /// Navigates to `path`. When only the fragment changes, the browser keeps the document
    /// and the app starts again itself (on `hashchange`): wait for the new document, so
    /// what follows never reads the old page.
    async fn goto(&self, path: &str) -> Result<(), Error> {
        let url = format!("{}{}", self.base, path);
        let current = self.client.current_url().await?.to_string();
        let document = |u: &str| u.split('#').next().unwrap_or_default().to_string();
        let fragment_only =
            url.contains('#') && url != current && document(&url) == document(&current);
        if fragment_only {
            self.client
                .execute("document.documentElement.dataset.harnessOld = '1';", vec![])
                .await?;
        }
        self.client.goto(&url).await?;
        if fragment_only
            && !self
                .wait_for("return !document.documentElement.dataset.harnessOld;", 30)
                .await?
        {
            return Err(format!("{url}: the page did not start again").into());
        }
        Ok(())
    }

    /// Opens `path` and waits until `css` is on the page (an embed without the player,
    /// a page that is not the app).
    pub async fn open_until(&self, path: &str, css: &str) -> Result<(), Error> {
        self.goto(path).await?;
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await?;
        Ok(())
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn eval(&self, script: &str) -> Result<Value, Error> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Runs `script` inside the page's `index`-th frame.
    pub async fn eval_in_frame(&self, index: u16, script: &str) -> Result<Value, Error> {
        self.client.clone().enter_frame(index).await?;
        let result = self.client.execute(script, vec![]).await;
        self.client.clone().enter_parent_frame().await?;
        Ok(result?)
    }

    /// Evaluates `script` (a `return …` of a boolean) every 100 ms until it is true;
    /// false after `seconds`.
    pub async fn wait_for(&self, script: &str, seconds: u64) -> Result<bool, Error> {
        for _ in 0..seconds * 10 {
            // A page that is reloading answers with an error: not yet.
            if matches!(
                self.client.execute(script, vec![]).await,
                Ok(Value::Bool(true))
            ) {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(false)
    }

    pub async fn reload(&self) -> Result<(), Error> {
        self.client.refresh().await?;
        self.wait_for_app().await
    }

    async fn wait_for_app(&self) -> Result<(), Error> {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("[data-testid=\"timeline\"]"))
            .await?;
        Ok(())
    }

    pub async fn title(&self) -> Result<String, Error> {
        Ok(self.client.title().await?)
    }

    pub async fn exists(&self, css: &str) -> Result<bool, Error> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    pub async fn visible(&self, css: &str) -> Result<bool, Error> {
        Ok(self
            .client
            .find(Locator::Css(css))
            .await?
            .is_displayed()
            .await?)
    }

    pub async fn click(&self, css: &str) -> Result<(), Error> {
        self.client.find(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    pub async fn text(&self, css: &str) -> Result<String, Error> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    /// The `value` property of a form field.
    pub async fn text_value(&self, css: &str) -> Result<String, Error> {
        Ok(self
            .client
            .find(Locator::Css(css))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    pub async fn attributes(&self, css: &str, name: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await? {
            out.push(e.attr(name).await?.unwrap_or_default());
        }
        Ok(out)
    }

    /// Replaces a text field's content as a person would: select all, then type.
    pub async fn replace_text(&self, css: &str, text: &str) -> Result<(), Error> {
        let field = self.client.find(Locator::Css(css)).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Types `text` into a field after what it holds, as a person would; WebDriver key
    /// codes (`\u{e004}` Tab, `\u{e008}` Shift, held until `\u{e000}`) are keys.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), Error> {
        self.client
            .find(Locator::Css(css))
            .await?
            .send_keys(text)
            .await?;
        Ok(())
    }

    /// Presses and releases each key of `keys` in turn, on whatever has the focus.
    pub async fn press(&self, keys: &str) -> Result<(), Error> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for value in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Moves the focus away from any field, as a click on the page background would.
    pub async fn blur(&self) -> Result<(), Error> {
        self.client
            .execute(
                "document.activeElement && document.activeElement.blur();",
                vec![],
            )
            .await?;
        Ok(())
    }

    /// Replaces a text field's content with the value of a JavaScript `expression`,
    /// computed in the page (so a 10 MiB text never crosses WebDriver), and fires `input`
    /// as a paste would. Returns the milliseconds until the frame after the page handled it.
    pub async fn paste_generated(&self, css: &str, expression: &str) -> Result<u64, Error> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const field = document.querySelector(arguments[0]);
             const text = ({expression});
             const start = performance.now();
             field.value = text;
             field.dispatchEvent(new Event('input', {{ bubbles: true }}));
             requestAnimationFrame(() => setTimeout(() => done(Math.round(performance.now() - start)), 0));"
        );
        let v = self.client.execute_async(&script, vec![json!(css)]).await?;
        v.as_u64()
            .ok_or_else(|| format!("paste returned {v}").into())
    }

    pub async fn count(&self, css: &str) -> Result<usize, Error> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    pub async fn eval_u64(&self, script: &str) -> Result<u64, Error> {
        let v = self.client.execute(script, vec![]).await?;
        v.as_u64()
            .ok_or_else(|| format!("script returned {v}").into())
    }

    /// The HTTP status of a file next to the app, fetched by the page itself.
    pub async fn fetch_status(&self, path: &str) -> Result<u64, Error> {
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(r => done(r.status), () => done(0));",
                vec![json!(path)],
            )
            .await?;
        v.as_u64()
            .ok_or_else(|| format!("fetch returned {v}").into())
    }

    pub async fn screenshot(&self, name: &str) -> Result<(), Error> {
        let png = self.client.screenshot().await?;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), png)?;
        Ok(())
    }

    /// Console messages of level SEVERE (errors, uncaught exceptions, failed loads).
    pub async fn console_errors(&self) -> Result<Vec<String>, Error> {
        let logs = self.client.issue_cmd(BrowserLog).await?;
        Ok(logs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_string())
            .collect())
    }
}

/// ChromeDriver's log endpoint (not in the W3C protocol, so fantoccini has no method).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// Serves `dir` under [`SUB_PATH`] on a fresh loopback port; returns the app's URL.
async fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let dir = dir.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut len = 0;
                while len < buf.len() {
                    match stream.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => len += n,
                    }
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let request = String::from_utf8_lossy(&buf[..len]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let path = path.split(['?', '#']).next().unwrap_or("/");
                let (status, body, mime) = match path.strip_prefix(SUB_PATH) {
                    Some(rel) if !rel.contains("..") => {
                        let rel = if rel.is_empty() { "index.html" } else { rel };
                        match std::fs::read(dir.join(rel)) {
                            Ok(body) => ("200 OK", body, mime_type(rel)),
                            Err(_) => ("404 Not Found", b"not found".to_vec(), "text/plain"),
                        }
                    }
                    _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}{SUB_PATH}")
}

fn mime_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
