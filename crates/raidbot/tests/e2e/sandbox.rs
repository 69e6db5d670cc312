//! `raidbot sandbox` as a real process on an empty data directory with no reachable
//! `DATABASE_URL`: it creates and starts its own PostgreSQL cluster, seeds the community,
//! serves the page, stops cleanly on SIGTERM (cluster included), and a second start keeps
//! the earlier run and its messages.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Generous: initdb, migrations and seeding on a loaded 2-core machine.
const START: Duration = Duration::from_secs(240);

struct Sandbox {
    child: Child,
    url: String,
    info: Value,
    http: reqwest::Client,
}

fn start(data_dir: &Path) -> Sandbox {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raidbot"))
        .args(["sandbox", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .current_dir(std::env::temp_dir())
        // Nothing answers on port 1: the sandbox must start its own cluster.
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/nothing_here",
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::options()
                .create(true)
                .append(true)
                .open(data_dir.join("test-stderr.log"))
                .unwrap(),
        ))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + START;
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.split("open ").nth(1) {
                    break rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the sandbox never said it was ready; stderr:\n{}",
                    std::fs::read_to_string(data_dir.join("test-stderr.log")).unwrap_or_default()
                );
            }
        }
    };
    Sandbox {
        child,
        url,
        info: Value::Null,
        http: reqwest::Client::new(),
    }
}

impl Sandbox {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// GET on the simulated Discord's REST API, as a bot would.
    async fn discord(&self, path: &str) -> Value {
        let base = self.info["discord_api_base"].as_str().unwrap();
        let token = self.info["discord_bot_token"].as_str().unwrap();
        loop {
            let r = self
                .http
                .get(format!("{base}/api/v10{path}"))
                .header("Authorization", format!("Bot {token}"))
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                // The bot shares Discord's global limit with this test's reads.
                let body: Value = r.json().await.unwrap();
                let wait = body["retry_after"].as_f64().unwrap_or(0.5);
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                continue;
            }
            assert_eq!(r.status(), 200, "{path}");
            return r.json().await.unwrap();
        }
    }

    async fn channel(&self, name: &str) -> String {
        let guild = self.info["guild_id"].as_str().unwrap();
        let channels = self.discord(&format!("/guilds/{guild}/channels")).await;
        channels
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no #{name}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits for a message in `channel` whose embed footer reads `footer`.
    async fn wait_for_footer(&self, channel: &str, footer: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let messages = self
                .discord(&format!("/channels/{channel}/messages?limit=50"))
                .await;
            if let Some(m) = messages.as_array().unwrap().iter().find(|m| {
                m["embeds"][0]["footer"]["text"]
                    .as_str()
                    .is_some_and(|f| f.starts_with(footer))
            }) {
                return m.clone();
            }
            assert!(Instant::now() < deadline, "no message with footer {footer}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, then the exit status within a minute.
    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the sandbox did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sandbox {
    /// A failed assertion still stops the process (and so its cluster).
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.stop();
        }
    }
}

fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raidbot-sandbox-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_sandbox_starts_its_own_database_and_a_second_start_keeps_the_first_ones_run() {
    bot::discord::install_crypto();
    let dir = data_dir();

    // First start: a private cluster, a seeded community, the page.
    let mut sandbox = start(&dir);
    assert!(dir.join("postgres").join("PG_VERSION").exists());
    let page = sandbox.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    sandbox.info = sandbox.get("/sandbox/info").await.json().await.unwrap();
    let guild = sandbox.info["guild_id"].as_str().unwrap().to_owned();
    let key = sandbox.info["api_key"].as_str().unwrap().to_owned();
    // The web dashboard logs in through the simulated Discord's consent page.
    let dashboard = sandbox.info["dashboard_url"].as_str().unwrap().to_owned();
    let front = sandbox.http.get(&dashboard).send().await.unwrap();
    assert_eq!(front.status(), 200);
    assert!(front.text().await.unwrap().contains("Log in with Discord"));
    let consent = sandbox
        .http
        .get(format!("{dashboard}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    assert!(
        consent
            .text()
            .await
            .unwrap()
            .contains("data-testid=\"oauth-authorize\"")
    );
    let members = sandbox
        .discord(&format!("/guilds/{guild}/members?limit=1000"))
        .await;
    let members = members.as_array().unwrap();
    assert_eq!(
        members.iter().filter(|m| m["user"]["bot"] != true).count(),
        40,
        "the seeded community has 40 members"
    );
    let organizer = members
        .iter()
        .find(|m| m["user"]["username"] == "Duskmire")
        .expect("the organizer Duskmire")["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A run posted through the REST API shows up as a panel in #raids.
    let created = sandbox
        .http
        .post(format!("{}/v1/guilds/{guild}/runs", sandbox.url))
        .bearer_auth(&key)
        .json(&json!({"organizer_id": organizer, "dungeon": "shatters"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let run: Value = created.json().await.unwrap();
    let run_id = run["id"].as_i64().expect("the run's id");
    let raids = sandbox.channel("raids").await;
    let panel = sandbox
        .wait_for_footer(&raids, &format!("Run #{run_id}"))
        .await;

    let exit = sandbox.stop();
    assert!(exit.success(), "exit {exit:?}");
    assert!(
        !dir.join("postgres").join("postmaster.pid").exists(),
        "the private cluster was stopped"
    );

    // Second start: the same server, the same run, the same panel message.
    let mut sandbox = start(&dir);
    sandbox.info = sandbox.get("/sandbox/info").await.json().await.unwrap();
    assert_eq!(sandbox.info["guild_id"], guild.as_str());
    let again = sandbox
        .wait_for_footer(&raids, &format!("Run #{run_id}"))
        .await;
    assert_eq!(again["id"], panel["id"], "the panel message was kept");
    let fetched = sandbox
        .http
        .get(format!("{}/v1/guilds/{guild}/runs/{run_id}", sandbox.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    let exit = sandbox.stop();
    assert!(exit.success(), "exit {exit:?}");
    let stderr = std::fs::read_to_string(dir.join("test-stderr.log")).unwrap_or_default();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
