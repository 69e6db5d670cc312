//! `raidbot bench dashboard`: the web dashboard's page budgets. Seeds a database of its
//! own like `bench leaderboard` (one server, 50,000 members with in-game names, 5,000,000
//! point events over two years), serves the real dashboard over HTTP against the simulated
//! Discord, logs a raider in through the consent page as a browser does, then measures
//! (one request after another, after a warm-up) the leaderboard's first page, page 100
//! of the all-time board, random members' pages and the overview: p50/p99/max and each
//! page's weight with its stylesheet and script. Prints figures, then one JSON line.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use domain::{RoleKey, Snowflake};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};

use super::leaderboard::{MEMBER_BASE, percentile, seed};

/// The budget every page keeps, with its stylesheet and script.
pub const PAGE_WEIGHT_BUDGET: usize = 200 * 1024;

pub struct Options {
    pub members: i64,
    pub events: i64,
    /// Measured requests per page.
    pub iterations: usize,
    /// Keep the bench database instead of dropping it.
    pub keep: bool,
}

pub async fn run(database_url: &str, opts: Options) -> anyhow::Result<()> {
    bot::discord::install_crypto();
    let base = PgConnectOptions::from_str(database_url)
        .context("DATABASE_URL is not a PostgreSQL URL")?
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
    let mut admin = PgConnection::connect_with(&base.clone().database("postgres"))
        .await
        .context("cannot reach PostgreSQL")?;
    let name = format!("raidbot_bench_web_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    println!("bench database: {name}");
    let result = measure(&base.clone().database(&name), &opts).await;
    if !opts.keep {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
    }
    result
}

struct Page {
    name: &'static str,
    samples: Vec<Duration>,
    /// Largest HTML seen, in bytes.
    bytes: usize,
    /// Whether the page loads the live script too.
    script: bool,
}

async fn measure(options: &PgConnectOptions, opts: &Options) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options.clone())
        .await?;
    store::db::MIGRATOR.run(&pool).await?;

    // The simulated Discord: one server, a raider who logs in.
    let sim = discord_sim::DiscordSim::start().await;
    let owner = sim.create_user("owner");
    let guild_id = sim.create_guild("Bench Community", owner);
    let raider_role = sim.create_role(guild_id, "Verified Raider", 0, 1);
    let raider = sim.create_user("benchraider");
    sim.add_member(guild_id, raider, &[raider_role]);
    let guild = Snowflake::parse(&guild_id.to_string())?;

    let started = Instant::now();
    seed(&pool, guild.db(), opts.members, opts.events).await?;
    sqlx::query(
        "INSERT INTO member (guild_id, user_id, ign, status)
         SELECT $1, $2 + m, 'R' || translate(m::text, '0123456789', 'abcdefghij'), 'verified'
         FROM generate_series(0, $3 - 1) m",
    )
    .bind(guild.db())
    .bind(MEMBER_BASE)
    .bind(opts.members)
    .execute(&pool)
    .await?;
    {
        let mut conn = pool.acquire().await?;
        store::guild_config::set_role(
            &mut conn,
            guild,
            RoleKey::VerifiedRaider,
            Some(Snowflake::parse(&raider_role.to_string())?),
        )
        .await?;
    }
    sqlx::raw_sql("ANALYZE member").execute(&pool).await?;
    println!(
        "seeded {} members (with in-game names) and {} point events in {:.1} s",
        opts.members,
        opts.events,
        started.elapsed().as_secs_f64()
    );

    // The dashboard, as `raidbot up` serves it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (api_base, authorize_url) = web::WebConfig::discord_urls(Some(&sim.http_proxy_addr()));
    let state = web::WebState::new(
        pool.clone(),
        web::WebConfig {
            client_id: sim.application_id().to_string(),
            client_secret: sim.oauth_client_secret().to_owned(),
            public_url: base.clone(),
            api_base,
            authorize_url,
            bot_token: sim.bot_token().to_owned(),
        },
    );
    let app = web::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = log_in(&http, &base, &sim, &raider.to_string()).await?;

    let get = |path: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        let cookie = cookie.clone();
        async move {
            let t = Instant::now();
            let res = http
                .get(&url)
                .header("cookie", format!("raidbot_session={cookie}"))
                .send()
                .await?;
            let status = res.status();
            let body = res.bytes().await?;
            let took = t.elapsed();
            anyhow::ensure!(status.is_success(), "{url}: {status}");
            Ok::<_, anyhow::Error>((took, body.len()))
        }
    };
    let css = get("/assets/style.css".to_owned()).await?.1;
    let js = get("/assets/live.js".to_owned()).await?.1;

    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let members = u64::try_from(opts.members.max(1)).unwrap_or(1);
    let mut pages = [
        Page {
            name: "leaderboard, current, page 1",
            samples: Vec::new(),
            bytes: 0,
            script: false,
        },
        Page {
            name: "leaderboard, all time, page 100",
            samples: Vec::new(),
            bytes: 0,
            script: false,
        },
        Page {
            name: "member page (random member)",
            samples: Vec::new(),
            bytes: 0,
            script: false,
        },
        Page {
            name: "server overview",
            samples: Vec::new(),
            bytes: 0,
            script: true,
        },
    ];
    let calls_before = state.discord.calls();
    for round in 0..opts.iterations + 20 {
        for (i, page) in pages.iter_mut().enumerate() {
            let path = match i {
                0 => format!("/g/{guild}/leaderboard"),
                1 => format!("/g/{guild}/leaderboard?metric=raider_points&period=all&page=100"),
                2 => format!(
                    "/g/{guild}/members/{}",
                    MEMBER_BASE + i64::try_from(next() % members).unwrap_or(0)
                ),
                _ => format!("/g/{guild}"),
            };
            let (took, bytes) = get(path).await?;
            // The first 20 rounds warm PostgreSQL's caches and are not counted.
            if round >= 20 {
                page.samples.push(took);
                page.bytes = page.bytes.max(bytes);
            }
        }
    }
    let discord_calls = state.discord.calls() - calls_before;
    let requests = (opts.iterations + 20) * pages.len();
    println!(
        "{} requests per page after 20 warm-up rounds; Discord asked {discord_calls} times in {requests} requests (answers kept 30 s)",
        opts.iterations
    );
    let mut json = serde_json::Map::new();
    let mut within = true;
    for page in &mut pages {
        let (p50, p99, max) = (
            percentile(&mut page.samples, 0.5),
            percentile(&mut page.samples, 0.99),
            percentile(&mut page.samples, 1.0),
        );
        let weight = page.bytes + css + if page.script { js } else { 0 };
        within &= weight <= PAGE_WEIGHT_BUDGET;
        println!(
            "{:<32} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   weight {:>6.1} kB (HTML {:.1} kB)",
            page.name,
            p50,
            p99,
            max,
            weight as f64 / 1024.0,
            page.bytes as f64 / 1024.0
        );
        json.insert(
            page.name.to_owned(),
            serde_json::json!({"p50_ms": p50, "p99_ms": p99, "max_ms": max, "weight_bytes": weight}),
        );
    }
    println!(
        "page weight budget {} kB: {}",
        PAGE_WEIGHT_BUDGET / 1024,
        if within {
            "every page within"
        } else {
            "EXCEEDED"
        }
    );
    json.insert("members".into(), opts.members.into());
    json.insert("events".into(), opts.events.into());
    json.insert("discord_calls".into(), discord_calls.into());
    println!("{}", serde_json::Value::Object(json));
    anyhow::ensure!(
        within,
        "a page is over the {} kB budget",
        PAGE_WEIGHT_BUDGET / 1024
    );
    Ok(())
}

fn location(res: &reqwest::Response) -> anyhow::Result<String> {
    Ok(res
        .headers()
        .get("location")
        .context("a redirect")?
        .to_str()?
        .to_owned())
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (k, val) = v.split(';').next()?.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

/// "Log in with Discord" as a browser does it: the login redirect, the simulator's consent
/// page (authorize as `user`), the callback. Returns the session cookie's value.
async fn log_in(
    http: &reqwest::Client,
    base: &str,
    sim: &discord_sim::DiscordSim,
    user: &str,
) -> anyhow::Result<String> {
    let res = http.get(format!("{base}/login")).send().await?;
    let login_cookie = set_cookie(&res, "raidbot_login").context("a login cookie")?;
    let to = reqwest::Url::parse(&location(&res)?)?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(to.query_pairs());
    form.append_pair("user_id", user);
    form.append_pair("decision", "authorize");
    let res = http
        .post(sim.oauth_authorize_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await?;
    let back = location(&res)?;
    let res = http
        .get(&back)
        .header("cookie", format!("raidbot_login={login_cookie}"))
        .send()
        .await?;
    set_cookie(&res, "raidbot_session").context("a session cookie")
}
