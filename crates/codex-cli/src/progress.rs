//! Progress bars for `codex pipeline` on a terminal: one bar per component, pages read of the
//! total the listings' `Link` headers imply, and writes done of planned (from
//! [`codex_core::Progress`]). Only when stderr is a terminal and neither `CI` nor
//! `GITHUB_ACTIONS` is set: in Actions and when piped there is no bar and every line stays as
//! it was. Log lines and the reports are printed above the bars, never through them.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use codex_core::component::Info;
use codex_core::{Observer, Progress, env};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// True when bars may be drawn: stderr is a terminal, outside CI and Actions.
pub(crate) fn wanted() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    std::io::stderr().is_terminal() && !set(env::CI) && !set(env::GITHUB_ACTIONS)
}

/// The bars of one pipeline run.
#[derive(Clone)]
pub(crate) struct Bars {
    multi: MultiProgress,
    dry_run: bool,
}

impl Bars {
    /// Bars drawn on stderr.
    pub(crate) fn new(dry_run: bool) -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            dry_run,
        }
    }

    /// A bar for a component about to run, and the progress handle that moves it.
    pub(crate) fn start(&self, info: &Info) -> (ProgressBar, Progress) {
        let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self.multi.add(
            ProgressBar::no_length()
                .with_style(style)
                .with_prefix(info.subcommand),
        );
        let observer = BarObserver {
            bar: bar.clone(),
            dry_run: self.dry_run,
            state: std::sync::Mutex::new(Counts::default()),
        };
        bar.set_message("starting");
        (bar, Progress::new(Arc::new(observer)))
    }

    /// Run `f` (printing) with the bars out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    /// A writer for log lines that prints them above the bars.
    pub(crate) fn log_sink(&self) -> impl Fn() -> AboveBars + Send + Sync + 'static {
        let multi = self.multi.clone();
        move || AboveBars(multi.clone())
    }
}

/// Writes to stderr with the bars suspended (the logger hands it one whole line at a time).
pub(crate) struct AboveBars(MultiProgress);

impl Write for AboveBars {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    pages: u64,
    pages_total: Option<u64>,
    writes: u64,
    planned: u64,
}

struct BarObserver {
    bar: ProgressBar,
    dry_run: bool,
    state: std::sync::Mutex<Counts>,
}

impl BarObserver {
    fn update(&self, change: impl FnOnce(&mut Counts)) {
        let counts = {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            change(&mut state);
            *state
        };
        self.draw(&counts);
    }

    fn draw(&self, c: &Counts) {
        match c.pages_total {
            Some(total) => self.bar.set_length(total.max(c.pages)),
            None => self.bar.unset_length(),
        }
        self.bar.set_position(c.pages);
        let pages = match c.pages_total {
            Some(total) => format!("pages {}/{total}", c.pages),
            None => format!("pages {}/?", c.pages),
        };
        let writes = if self.dry_run {
            format!("writes planned {} (dry run: none sent)", c.planned)
        } else {
            format!("writes {}/{}", c.writes, c.planned)
        };
        self.bar.set_message(format!("{pages} · {writes}"));
    }
}

impl Observer for BarObserver {
    fn pages_read(&self, done: u64, total: Option<u64>) {
        self.update(|c| {
            c.pages = done;
            c.pages_total = total;
        });
    }

    fn writes(&self, done: u64, planned: u64) {
        self.update(|c| {
            c.writes = done;
            c.planned = planned;
        });
    }
}
