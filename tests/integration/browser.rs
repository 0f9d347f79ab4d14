//! A headless Chromium driven over the DevTools protocol, enough to load a page, run
//! script in it, click at a point as a mouse does, and hear of script errors.
//!
//! Chromium is started with its own empty profile, no network services (this machine's
//! network is closed; Chromium's background connections would only fail) and
//! `--remote-debugging-port=0`: it writes the port it chose to `DevToolsActivePort` in
//! the profile, and the browser's WebSocket path with it.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long to wait for Chromium to start, and for a command's answer.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How long the page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(20);

/// A Chromium with one page open on a file.
pub(crate) struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Script errors and `console.error` calls of the page, as they arrived.
    pub(crate) errors: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromium` (a path) and opens `page`, a local file, waiting until it has
    /// loaded.
    pub(crate) fn open(chromium: &Path, page: &Path) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("failed to start chromium");
        let endpoint = wait_for_endpoint(&profile.path().join("DevToolsActivePort"));
        let (socket, _) = tungstenite::connect(endpoint.as_str()).expect("no DevTools socket");
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            errors: Vec::new(),
            _profile: profile,
        };
        let target = browser.command("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.command(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser.command("Runtime.enable", json!({}));
        browser.command("Page.enable", json!({}));
        // A page opened by the protocol is in the background, where input events wait:
        // bring it to the front, and give it a viewport as a window would.
        browser.command("Page.bringToFront", json!({}));
        browser.command(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        let url = format!("file://{}", page.display());
        browser.command("Page.navigate", json!({"url": url}));
        browser.wait_until("document.readyState === 'complete'");
        browser
    }

    /// Sends a command (to the page's session once attached) and returns its result;
    /// events on the way are kept when they are errors.
    fn command(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = self.session.clone().into();
        }
        self.socket
            .send(Message::text(message.to_string()))
            .expect("DevTools socket closed");
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < TIMEOUT, "no answer to {method}");
            let Message::Text(text) = self.socket.read().expect("DevTools socket closed") else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            if answer["id"] == id {
                if let Some(error) = answer.get("error") {
                    panic!("{method} failed: {error}");
                }
                return answer["result"].clone();
            }
            self.note_event(&answer);
        }
    }

    /// Keeps the page's uncaught exceptions and `console.error` calls.
    fn note_event(&mut self, event: &Value) {
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let details = &event["params"]["exceptionDetails"];
                self.errors.push(format!(
                    "{} {}",
                    details["text"], details["exception"]["description"]
                ));
            }
            Some("Runtime.consoleAPICalled") if event["params"]["type"] == "error" => {
                self.errors.push(event["params"]["args"].to_string());
            }
            _ => {}
        }
    }

    /// The value of a script expression (a promise is awaited).
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.command(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until the expression is true.
    pub(crate) fn wait_until(&mut self, expression: &str) {
        let started = Instant::now();
        while self.eval(expression) != Value::Bool(true) {
            assert!(started.elapsed() < WAIT, "never true: {expression}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks with the mouse at the middle of the first element `selector` matches,
    /// scrolled into view first (at once: the page may scroll smoothly): Chromium's own
    /// input events, as a user's click.
    pub(crate) fn click(&mut self, selector: &str) {
        let selector_json = serde_json::to_string(selector).unwrap();
        let point = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector_json}); \
             if (!e) return null; e.scrollIntoView({{block: 'center', behavior: 'instant'}}); \
             const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ));
        let (x, y) = match point.as_array().map(Vec::as_slice) {
            Some([x, y]) => (x.as_f64().unwrap(), y.as_f64().unwrap()),
            _ => panic!("nothing matches {selector}"),
        };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.command(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The browser's WebSocket address, once Chromium has written its port file.
fn wait_for_endpoint(file: &Path) -> String {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "chromium wrote no DevToolsActivePort"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
