//! Counting the statements and transactions code sends to PostgreSQL, for tests that hold
//! a hot path to a budget (a Join click, a panel refresh, an award, a REST join).
//!
//! sqlx reports every statement it runs as a `sqlx::query` tracing event, emitted in the
//! task that ran it (pools made by [`crate::db::connect`] log statements at TRACE). The
//! layer installed by [`install`] counts those events:
//!
//! - per unit of work: the innermost enclosing span named `interaction` (the bot's span
//!   around one Discord interaction), `job` (the dispatcher's span around one job) or
//!   `budget` (a span a test opens itself), recorded when the span closes and labelled by
//!   its `name` or `kind` field;
//! - per thread: every statement, for code with no such span (the REST API under a
//!   current-thread test runtime, where the server runs on the test's thread).
//!
//! `BEGIN` is sent by sqlx without a logged statement, so a transaction is counted by the
//! `COMMIT` or `ROLLBACK` that ends it; each transaction costs one more round trip than
//! its statements show. A counting client works on a stock PostgreSQL (no
//! `pg_stat_statements`) and attributes statements to the click that caused them even
//! while other tests share the server.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::thread::ThreadId;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The spans that make a unit of work.
const UNIT_SPANS: [&str; 3] = ["interaction", "job", "budget"];

/// What a unit of work (or a thread) sent to the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    /// Statements, `COMMIT` and `ROLLBACK` included, `BEGIN` not (see the module doc).
    pub statements: usize,
    /// Transactions ended (`COMMIT` or `ROLLBACK`).
    pub transactions: usize,
    /// The first words of each statement, in order, for failure messages.
    pub summaries: Vec<String>,
}

impl Work {
    /// Round trips to the server: every statement and every transaction's `BEGIN`.
    pub fn round_trips(&self) -> usize {
        self.statements + self.transactions
    }

    fn add(&mut self, summary: &str) {
        self.statements += 1;
        let head = summary.trim_start().to_ascii_uppercase();
        if head.starts_with("COMMIT") || head.starts_with("ROLLBACK") {
            self.transactions += 1;
        }
        self.summaries.push(summary.to_owned());
    }

    /// What this added since `earlier` (a snapshot of the same counter).
    pub fn since(&self, earlier: &Work) -> Work {
        Work {
            statements: self.statements - earlier.statements,
            transactions: self.transactions - earlier.transactions,
            summaries: self.summaries[earlier.summaries.len().min(self.summaries.len())..].to_vec(),
        }
    }
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} statements in {} transactions ({} round trips):",
            self.statements,
            self.transactions,
            self.round_trips()
        )?;
        for s in &self.summaries {
            write!(f, "\n    {s}")?;
        }
        Ok(())
    }
}

/// A finished unit of work.
#[derive(Debug, Clone)]
pub struct Unit {
    /// `interaction`, `job` or `budget`.
    pub span: &'static str,
    /// The span's `name` field (a custom id or "/command") or `kind` field (a job kind).
    pub label: String,
    pub work: Work,
    thread: ThreadId,
}

#[derive(Default)]
struct Books {
    finished: Vec<Unit>,
    threads: HashMap<ThreadId, Work>,
}

static BOOKS: LazyLock<Mutex<Books>> = LazyLock::new(|| Mutex::new(Books::default()));
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn books() -> MutexGuard<'static, Books> {
    BOOKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the process's tracing subscriber: the usual test log output (filtered by
/// `RUST_LOG`, captured per test) and the statement counter, which counts while a
/// [`counting`] guard lives. Idempotent; returns whether counting works, which it does not
/// when another global subscriber was installed first.
pub fn install() -> bool {
    let fmt = tracing_subscriber::fmt::layer()
        .with_test_writer()
        .with_filter(tracing_subscriber::EnvFilter::from_default_env());
    let targets = Targets::new()
        .with_target("sqlx::query", Level::TRACE)
        .with_target("bot", Level::INFO)
        .with_target("store::testing", Level::INFO);
    // Call sites of other targets are never asked again (the events of hyper, tokio and
    // the rest cost what they cost without this layer). Ours are asked at every event, so
    // that while no test counts, sqlx sees statement logging as off and no test pays.
    let sites = targets.clone();
    let counter = Counter.with_filter(
        tracing_subscriber::filter::dynamic_filter_fn(move |meta, _| {
            COUNTING.load(Ordering::SeqCst) > 0 && targets.would_enable(meta.target(), meta.level())
        })
        .with_callsite_filter(move |meta| {
            if sites.would_enable(meta.target(), meta.level()) {
                Interest::sometimes()
            } else {
                Interest::never()
            }
        }),
    );
    if tracing_subscriber::registry()
        .with(fmt)
        .with(counter)
        .try_init()
        .is_ok()
    {
        INSTALLED.store(true, Ordering::SeqCst);
    }
    INSTALLED.load(Ordering::SeqCst)
}

/// Tests counting now; statements are counted only while one is.
static COUNTING: AtomicUsize = AtomicUsize::new(0);

/// Counting is on while this lives (see [`counting`]).
#[must_use = "counting stops when the guard is dropped"]
pub struct Counting(());

impl Drop for Counting {
    fn drop(&mut self) {
        COUNTING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Turns counting on (for every test of the process) until the guard is dropped. Spans
/// opened before it are not units of work.
pub fn counting() -> Counting {
    COUNTING.fetch_add(1, Ordering::SeqCst);
    tracing::callsite::rebuild_interest_cache();
    Counting(())
}

/// Everything this thread has sent so far (take two snapshots and use [`Work::since`]).
pub fn thread_total() -> Work {
    books()
        .threads
        .get(&std::thread::current().id())
        .cloned()
        .unwrap_or_default()
}

/// Finished units of this thread with this span name and label, oldest first.
pub fn finished(span: &str, label: &str) -> Vec<Work> {
    let me = std::thread::current().id();
    books()
        .finished
        .iter()
        .filter(|u| u.thread == me && u.span == span && u.label == label)
        .map(|u| u.work.clone())
        .collect()
}

/// Every finished unit of this thread, oldest first (for failure messages).
pub fn finished_here() -> Vec<Unit> {
    let me = std::thread::current().id();
    books()
        .finished
        .iter()
        .filter(|u| u.thread == me)
        .cloned()
        .collect()
}

/// A `budget` span for a test's own unit of work, labelled `label`.
#[macro_export]
macro_rules! budget_span {
    ($label:expr) => {
        ::tracing::info_span!(target: "store::testing", "budget", name = %$label)
    };
}

struct Counter;

/// The open unit a span carries in its extensions.
struct Open {
    span: &'static str,
    label: String,
    work: Work,
}

#[derive(Default)]
struct Fields {
    label: Option<String>,
    summary: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "name" | "kind" if self.label.is_none() => self.label = Some(value),
            "summary" => self.summary = Some(value),
            _ => {}
        }
    }
}

impl<S> Layer<S> for Counter
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let name = attrs.metadata().name();
        let Some(span) = UNIT_SPANS.iter().find(|s| **s == name) else {
            return;
        };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(s) = ctx.span(id) {
            s.extensions_mut().insert(Open {
                span,
                label: fields.label.unwrap_or_default(),
                work: Work::default(),
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let summary = fields.summary.unwrap_or_default();
        books()
            .threads
            .entry(std::thread::current().id())
            .or_default()
            .add(&summary);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                let mut ext = span.extensions_mut();
                if let Some(open) = ext.get_mut::<Open>() {
                    open.work.add(&summary);
                    break;
                }
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        if let Some(open) = span.extensions_mut().remove::<Open>() {
            books().finished.push(Unit {
                span: open.span,
                label: open.label,
                work: open.work,
                thread: std::thread::current().id(),
            });
        }
    }
}
