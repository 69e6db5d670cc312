//! A tiny W3C WebDriver client over reqwest: enough to drive Chromium through
//! `chromedriver`, or Firefox through `geckodriver` (start it, open a session, find, click,
//! type, run a script, take screenshots). Every wait polls the page with a deadline; nothing sleeps and then asserts.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Generous: the suite runs on a loaded two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(40);

/// The browsers the page is tested in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Debian's `chromium` with `chromium-driver`.
    Chromium,
    /// Debian's `firefox-esr` with `geckodriver` (`cargo install geckodriver`).
    Firefox,
}

pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    browser: Browser,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn find_program(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    for name in names {
        for dir in path.split(':').chain(["/usr/bin", "/usr/lib/chromium"]) {
            let p = std::path::Path::new(dir).join(name);
            if p.is_file() {
                return Some(p.to_string_lossy().into_owned());
            }
        }
    }
    None
}

impl Driver {
    /// Starts chromedriver on a free port.
    pub async fn start() -> Driver {
        Driver::start_for(Browser::Chromium).await
    }

    /// Starts the browser's WebDriver server on a free port.
    pub async fn start_for(browser: Browser) -> Driver {
        let (names, install) = match browser {
            Browser::Chromium => (
                &["chromedriver"][..],
                "Debian's `chromium` and `chromium-driver` (apt-get install -y chromium chromium-driver)",
            ),
            Browser::Firefox => (
                &["geckodriver"][..],
                "Debian's `firefox-esr` and geckodriver (apt-get install -y firefox-esr; cargo install geckodriver)",
            ),
        };
        let Some(program) = find_program(names) else {
            panic!(
                "{} is not installed: the browser test needs {install}",
                names[0]
            );
        };
        let port = free_port();
        let mut command = Command::new(&program);
        match browser {
            Browser::Chromium => command.arg(format!("--port={port}")),
            Browser::Firefox => command.args(["--port", &port.to_string(), "--log", "fatal"]),
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            browser,
            // One WebDriver command never takes this long unless the browser is stuck.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
        };
        let start = Instant::now();
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .ok();
            if let Some(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{program} did not become ready on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// Opens the headless browser (Chromium with `--no-sandbox`: it refuses to run as root
    /// otherwise).
    pub async fn session(&self) -> Session {
        let caps = match self.browser {
            Browser::Chromium => {
                let binary = find_program(&["chromium", "chromium-browser", "google-chrome"])
                    .unwrap_or_else(|| {
                        panic!(
                            "chromium is not installed (apt-get install -y chromium chromium-driver)"
                        )
                    });
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--window-size=1400,1000", "--force-device-scale-factor=1", "--lang=en-US"],
                    },
                }}})
            }
            Browser::Firefox => {
                let binary = find_program(&["firefox-esr", "firefox"]).unwrap_or_else(|| {
                    panic!("firefox is not installed (apt-get install -y firefox-esr)")
                });
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "firefox",
                    "moz:firefoxOptions": {
                        "binary": binary,
                        "args": ["-headless", "--width=1400", "--height=1000"],
                        // No update checks, telemetry or other calls out: the machine is offline.
                        "prefs": {
                            "app.update.enabled": false,
                            "network.captive-portal-service.enabled": false,
                            "browser.safebrowsing.malware.enabled": false,
                            "browser.safebrowsing.phishing.enabled": false,
                            "datareporting.policy.dataSubmissionEnabled": false,
                            "intl.accept_languages": "en-US",
                        },
                    },
                }}})
            }
        };
        let res: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .await
            .expect("the WebDriver server answers")
            .json()
            .await
            .expect("a JSON answer");
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_owned();
        Session {
            url: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
        }
    }
}

pub struct Session {
    url: String,
    http: reqwest::Client,
}

/// A WebDriver error answer (`{"value": {"error", "message"}}`).
#[derive(Debug)]
pub struct WdError(pub String);

impl Session {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        if std::env::var_os("WEBDRIVER_TRACE").is_some() {
            eprintln!(
                "webdriver: {method} {path} {}",
                body.as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default()
                    .chars()
                    .take(160)
                    .collect::<String>()
            );
        }
        let url = format!("{}{path}", self.url);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let res = req.send().await.map_err(|e| WdError(e.to_string()))?;
        let v: Value = res.json().await.map_err(|e| WdError(e.to_string()))?;
        if let Some(err) = v["value"]["error"].as_str() {
            return Err(WdError(format!(
                "{err}: {}",
                v["value"]["message"].as_str().unwrap_or("")
            )));
        }
        Ok(v["value"].clone())
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})))
            .await
            .expect("navigate");
    }

    pub async fn quit(&self) {
        let _ = self.call("DELETE", "", None).await;
    }

    /// Runs a script in the page (its `arguments` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Value) -> Result<Value, WdError> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    async fn find(&self, css: &str) -> Result<String, WdError> {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        v[ELEMENT_KEY]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| WdError("no element id".into()))
    }

    /// Clicks the element matching `css` once it exists and can be clicked (the page
    /// re-renders as it updates, so a stale or hidden element is looked up again).
    pub async fn click(&self, css: &str) {
        self.retry(&format!("click {css}"), || async {
            let el = self.find(css).await?;
            self.call("POST", &format!("/element/{el}/click"), None)
                .await
                .map(|_| ())
        })
        .await;
    }

    /// Types `text` into the element matching `css` (keys as a person presses them;
    /// `\u{E007}` is Enter).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.retry(&format!("type into {css}"), || async {
            let el = self.find(css).await?;
            self.call(
                "POST",
                &format!("/element/{el}/value"),
                Some(json!({"text": text})),
            )
            .await
            .map(|_| ())
        })
        .await;
    }

    async fn retry<F, Fut>(&self, what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), WdError>>,
    {
        let start = Instant::now();
        loop {
            match f().await {
                Ok(()) => return,
                Err(e) if start.elapsed() > DEADLINE => {
                    fail(self, &format!("could not {what}: {e:?}")).await
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Waits until `script` (a function body returning a value; `null`/`false` mean "not
    /// yet") returns something truthy, and returns it.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let start = Instant::now();
        let mut last;
        loop {
            match self.js(script, args.clone()).await {
                Ok(v) if !v.is_null() && v != Value::Bool(false) => return v,
                Ok(v) => last = v,
                Err(e) => last = json!(e.0),
            }
            if start.elapsed() > DEADLINE {
                fail(
                    self,
                    &format!("the page never showed {what} (last: {last})"),
                )
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until some element matching `css` has text containing `text`; returns that text.
    pub async fn wait_text(&self, what: &str, css: &str, text: &str) -> String {
        let v = self
            .wait_for(
                what,
                "const [css, t] = arguments;
                 for (const el of document.querySelectorAll(css)) {
                   if (el.textContent.includes(t)) return el.textContent;
                 }
                 return null;",
                json!([css, text]),
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The value of the page's cookie `name` (HttpOnly ones too: the browser's own view).
    #[allow(dead_code)]
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let v = self
            .call("GET", &format!("/cookie/{name}"), None)
            .await
            .ok()?;
        v["value"].as_str().map(str::to_owned)
    }

    /// Sets cookie `name` for the current page's site, as someone editing their browser's
    /// cookies would.
    #[allow(dead_code)]
    pub async fn set_cookie(&self, name: &str, value: &str) {
        self.call(
            "POST",
            "/cookie",
            Some(json!({"cookie": {"name": name, "value": value, "path": "/", "httpOnly": true}})),
        )
        .await
        .expect("set a cookie");
    }

    /// A PNG of the whole window.
    pub async fn screenshot(&self) -> Result<Vec<u8>, WdError> {
        let v = self.call("GET", "/screenshot", None).await?;
        decode_base64(v.as_str().unwrap_or_default()).ok_or_else(|| WdError("bad base64".into()))
    }

    /// A PNG of one element.
    pub async fn element_screenshot(&self, css: &str) -> Result<Vec<u8>, WdError> {
        let el = self.find(css).await?;
        let v = self
            .call("GET", &format!("/element/{el}/screenshot"), None)
            .await?;
        decode_base64(v.as_str().unwrap_or_default()).ok_or_else(|| WdError("bad base64".into()))
    }
}

/// Saves a screenshot under `target/browser-failures/` and fails the test.
pub async fn fail(s: &Session, why: &str) -> ! {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-failures");
    let saved = match s.screenshot().await {
        Ok(png) => {
            let _ = std::fs::create_dir_all(&dir);
            let name = format!(
                "browser-{}.png",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0)
            );
            let path = dir.join(name);
            match std::fs::write(&path, png) {
                Ok(()) => format!("screenshot: {}", path.display()),
                Err(e) => format!("screenshot not saved: {e}"),
            }
        }
        Err(e) => format!("no screenshot: {e:?}"),
    };
    panic!("{why}\n{saved}");
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

#[test]
fn base64_decodes_padded_and_unpadded() {
    assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
    assert_eq!(decode_base64("aGk").as_deref(), Some(&b"hi"[..]));
    assert_eq!(decode_base64("YWJj").as_deref(), Some(&b"abc"[..]));
}
