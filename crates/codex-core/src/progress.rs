//! A run's progress, for whoever watches: pages read of a listing's total, writes done of
//! planned. The CLI draws bars from it on a terminal; everything else ignores it.
//!
//! Two places feed it, so no component carries progress logic of its own: the page loop
//! ([`crate::GitHub::get_page`], every listing's pages) and the write gate (every write the
//! client sends). A component only says how many writes its plan holds
//! ([`Progress::plan_writes`]), where it makes the plan. No process-level code here: what an
//! [`Observer`] does with the events is the caller's business.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What a run reports while it works. Every method has a no-op default.
pub trait Observer: Send + Sync {
    /// A page was read: `done` pages of the run's listings so far, of `total` when every
    /// listing's length is known (the first page's `Link` rel="last", the number the page
    /// guard caps a listing by, or the listing has ended). A run reads several listings
    /// (milestones, then issues, …), so `total` grows as they start.
    fn pages_read(&self, done: u64, total: Option<u64>) {
        let _ = (done, total);
    }

    /// Writes sent so far (`done`) of those the run's plans hold so far (`planned`; it grows
    /// as a streaming component plans page after page).
    fn writes(&self, done: u64, planned: u64) {
        let _ = (done, planned);
    }
}

/// A run's progress handle: cheap to clone, clones share the counters. The default reports to
/// nobody.
#[derive(Clone, Default)]
pub struct Progress {
    inner: Option<Arc<Shared>>,
}

struct Shared {
    observer: Arc<dyn Observer>,
    /// Per listing (its page guard's id): pages read, and its length when known.
    listings: Mutex<BTreeMap<u64, (u64, Option<u64>)>>,
    writes_done: AtomicU64,
    writes_planned: AtomicU64,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Progress(none)"),
            Some(s) => f
                .debug_struct("Progress")
                .field("writes_done", &s.writes_done.load(Ordering::Relaxed))
                .field("writes_planned", &s.writes_planned.load(Ordering::Relaxed))
                .finish(),
        }
    }
}

impl Progress {
    /// Progress reported to `observer`.
    pub fn new(observer: Arc<dyn Observer>) -> Self {
        Progress {
            inner: Some(Arc::new(Shared {
                observer,
                listings: Mutex::new(BTreeMap::new()),
                writes_done: AtomicU64::new(0),
                writes_planned: AtomicU64::new(0),
            })),
        }
    }

    /// Page `done` of listing `listing` was read, of `total` when known (the page loop calls
    /// this); the observer hears the sums over the run's listings.
    pub(crate) fn page_read(&self, listing: u64, done: u64, total: Option<u64>) {
        let Some(s) = &self.inner else { return };
        let (done, total) = {
            let mut listings = s
                .listings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            listings.insert(listing, (done, total));
            let read = listings.values().map(|(d, _)| d).sum();
            let known: Option<u64> = listings.values().map(|(_, t)| *t).sum();
            (read, known)
        };
        s.observer.pages_read(done, total);
    }

    /// A plan holds `n` more writes (a component calls this where it makes a plan).
    pub fn plan_writes(&self, n: u64) {
        if let Some(s) = &self.inner
            && n > 0
        {
            let planned = s.writes_planned.fetch_add(n, Ordering::SeqCst) + n;
            s.observer
                .writes(s.writes_done.load(Ordering::SeqCst), planned);
        }
    }

    /// A write passed the gate and is being sent (the write gate calls this).
    pub(crate) fn wrote(&self) {
        if let Some(s) = &self.inner {
            let done = s.writes_done.fetch_add(1, Ordering::SeqCst) + 1;
            // A write nobody planned (a retried creation, say) still counts: planned is at
            // least done.
            let planned = s.writes_planned.fetch_max(done, Ordering::SeqCst).max(done);
            s.observer.writes(done, planned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl Observer for Record {
        fn pages_read(&self, done: u64, total: Option<u64>) {
            self.0
                .lock()
                .unwrap()
                .push(format!("page {done}/{total:?}"));
        }
        fn writes(&self, done: u64, planned: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("write {done}/{planned}"));
        }
    }

    #[test]
    fn events_reach_the_observer_and_counters_are_shared_by_clones() {
        let record = Arc::new(Record::default());
        let progress = Progress::new(record.clone());
        let clone = progress.clone();
        // Listing 7 has 2 pages; listing 9 (nested in it) one, unknown until it ends.
        progress.page_read(7, 1, Some(2));
        progress.page_read(9, 1, None);
        progress.page_read(9, 2, Some(2));
        progress.page_read(7, 2, Some(2));
        progress.plan_writes(2);
        progress.plan_writes(0);
        clone.wrote();
        clone.wrote();
        clone.wrote();
        assert_eq!(
            *record.0.lock().unwrap(),
            [
                "page 1/Some(2)",
                "page 2/None",
                "page 3/Some(4)",
                "page 4/Some(4)",
                "write 0/2",
                "write 1/2",
                "write 2/2",
                "write 3/3"
            ]
        );
        // The default reports to nobody and costs nothing.
        let none = Progress::default();
        none.page_read(1, 1, None);
        none.plan_writes(4);
        none.wrote();
        assert_eq!(format!("{none:?}"), "Progress(none)");
    }
}
