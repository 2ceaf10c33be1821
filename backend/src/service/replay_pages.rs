//! Pages of the event log read for clients that come back from further back than the relay's
//! memory reaches, shared between them. After a deploy, many clients come back from about the
//! same point: each page is read from the table once, by whichever client asks first, and the
//! others are handed the same page (or wait for it), instead of each client reading the whole
//! stretch itself.
//!
//! Pages start on multiples of [`REPLAY_PAGE`] (a client that resumes within a page is handed
//! the whole page and skips what it has), so clients that resume from different points share
//! the pages after their first. Only full pages are kept: the last page of the log grows.
//! A kept page holds its posts as they were when it was read; anything that changed since has
//! its own event further on.
//!
//! The replays of a replica, from these pages or from its memory of recent events, are paced
//! together (`STREAM_REPLAY_EVENTS_PER_SECOND`, see [`ReplayPages::pace`]): a replay's events
//! are all ready at once, so unpaced, many of them would take the cores from every other
//! request for as long as they lasted.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, atomic::Ordering},
    time::Duration,
};

use tokio::{sync::OnceCell, time::Instant};

use super::LiveStats;
use crate::{
    domain::Event,
    repository::{EventRepository, RepositoryError},
};

/// Events read at once for a replay: what one replaying client holds beyond the shared pages.
pub const REPLAY_PAGE: i64 = 200;
/// Pages kept (the oldest is forgotten first): at most this × [`REPLAY_PAGE`] events.
const PAGES_KEPT: usize = 50;

/// A stretch of the log, as replayed: shared by the clients it is handed to.
pub struct ReplayPage {
    pub events: Vec<Arc<Event>>,
    /// The last id read (events left out included): where the next page starts.
    pub through: i64,
    /// Whether this page reached the newest event.
    pub complete: bool,
}

type Slot = Arc<OnceCell<Arc<ReplayPage>>>;

#[derive(Clone)]
pub struct ReplayPages {
    kept: Arc<Mutex<Kept>>,
    stats: Arc<LiveStats>,
    events_per_second: f64,
    /// When the replays' pace lets the next page go: the end of the last turn handed out.
    paced_until: Arc<Mutex<Instant>>,
}

#[derive(Default)]
struct Kept {
    by_start: HashMap<i64, Slot>,
    oldest_first: VecDeque<i64>,
}

impl ReplayPages {
    pub fn new(stats: Arc<LiveStats>, events_per_second: u32) -> Self {
        Self {
            kept: Arc::default(),
            stats,
            events_per_second: f64::from(events_per_second.max(1)),
            paced_until: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Returns when a replay that has just sent `events` may go on: turns are handed out first
    /// come, first served, each as long as its events take at the replica's pace, so the
    /// replays of this replica together send about `events_per_second`. A replay's first page
    /// does not wait (nothing calls this before it), and one replay alone waits little: its
    /// turns follow each other.
    pub async fn pace(&self, events: usize) {
        let turn = Duration::from_secs_f64(events as f64 / self.events_per_second);
        let go_on_at = {
            let mut paced_until = self.paced_until.lock().expect("never poisoned");
            let go_on_at = (*paced_until).max(Instant::now()) + turn;
            *paced_until = go_on_at;
            go_on_at
        };
        tokio::time::sleep_until(go_on_at).await;
    }

    /// The page holding the events just after `after`: read from `events` unless another
    /// client read it (or is reading it) already.
    pub async fn after(
        &self,
        events: &EventRepository,
        after: i64,
    ) -> Result<Arc<ReplayPage>, RepositoryError> {
        let start = after - after.rem_euclid(REPLAY_PAGE);
        let slot = self.slot(start);
        let read = slot.get_or_try_init(|| self.read(events, start)).await;
        let page = match read {
            Ok(page) => page.clone(),
            Err(error) => {
                self.forget(start, &slot);
                return Err(error);
            }
        };
        if page.complete {
            // The end of the log, which grows: read afresh next time.
            self.forget(start, &slot);
        }
        Ok(page)
    }

    async fn read(
        &self,
        events: &EventRepository,
        start: i64,
    ) -> Result<Arc<ReplayPage>, RepositoryError> {
        self.stats.replay_pages_read.fetch_add(1, Ordering::Relaxed);
        let page = events.after(start, REPLAY_PAGE).await?;
        Ok(Arc::new(ReplayPage {
            events: page.events.into_iter().map(Arc::new).collect(),
            through: page.through,
            complete: page.complete,
        }))
    }

    fn slot(&self, start: i64) -> Slot {
        let mut kept = self.kept.lock().expect("never poisoned");
        if let Some(slot) = kept.by_start.get(&start) {
            return slot.clone();
        }
        if kept.oldest_first.len() == PAGES_KEPT
            && let Some(oldest) = kept.oldest_first.pop_front()
        {
            kept.by_start.remove(&oldest);
        }
        let slot = Slot::default();
        kept.by_start.insert(start, slot.clone());
        kept.oldest_first.push_back(start);
        slot
    }

    /// Forgets the page at `start` if it is still `slot`.
    fn forget(&self, start: i64, slot: &Slot) {
        let mut kept = self.kept.lock().expect("never poisoned");
        if kept
            .by_start
            .get(&start)
            .is_some_and(|kept| Arc::ptr_eq(kept, slot))
        {
            kept.by_start.remove(&start);
            kept.oldest_first.retain(|kept| *kept != start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn paced(pages: &ReplayPages, events: usize) -> Duration {
        let start = Instant::now();
        pages.pace(events).await;
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn replays_take_turns_at_the_replicas_pace() {
        let pages = ReplayPages::new(Arc::default(), 1000);
        assert_eq!(paced(&pages, 200).await, Duration::from_millis(200));
        // Two replays at once: the second's turn follows the first's.
        let (first, second) = tokio::join!(paced(&pages, 200), paced(&pages, 100));
        assert_eq!(first, Duration::from_millis(200));
        assert_eq!(second, Duration::from_millis(300));
        // After a quiet while, a turn starts from now, not from the last one's end.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(paced(&pages, 100).await, Duration::from_millis(100));
    }
}
