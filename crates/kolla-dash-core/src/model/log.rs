//! The log pane's state: a bounded ring of events and notes, and the followed pod's lines.

use std::collections::VecDeque;

use crate::summary::EventSummary;

/// Lines kept per buffer; older ones are dropped.
pub const LOG_CAPACITY: usize = 2_000;

/// A FIFO that drops its oldest item when full.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
}

impl<T> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Ring {
            items: VecDeque::with_capacity(cap.min(256)),
            cap: cap.max(1),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.cap {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// Inserts `item` after the last item for which `before(item)` holds, searching from
    /// the newest end (so in-order arrivals cost O(1)); at the front if none does.
    pub fn insert_after_last(&mut self, item: T, before: impl Fn(&T) -> bool) {
        let at = self.items.iter().rposition(before).map_or(0, |i| i + 1);
        if self.items.len() == self.cap {
            if at == 0 {
                return; // older than everything kept
            }
            self.items.pop_front();
            self.items.insert(at - 1, item);
        } else {
            self.items.insert(at, item);
        }
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.items.back_mut()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }
}

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteLevel {
    Info,
    /// An action under way.
    Progress,
    Success,
    Error,
}

/// One line of the events view.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `row` is the grid row the event's object belongs to, resolved on arrival.
    Event {
        event: EventSummary,
        row: Option<usize>,
    },
    /// kolla-dash's own messages (action progress and results); shown under every filter.
    /// `time` is when it was said, seconds since the Unix epoch (0: not known).
    Note {
        time: i64,
        level: NoteLevel,
        text: String,
    },
}

/// What the pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    Events,
    /// Following a pod's containers; `ended` holds the reason once the stream stopped.
    Pod {
        name: String,
        ended: Option<String>,
    },
}

/// The log pane: events and notes, or the followed pod's lines.
#[derive(Debug, Clone)]
pub struct LogPane {
    pub entries: Ring<Entry>,
    pub pod_lines: Ring<String>,
    pub source: LogSource,
    /// Events of every service rather than only the selected one.
    pub show_all: bool,
    /// Lines scrolled up from the newest.
    pub scroll: usize,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane {
            entries: Ring::new(LOG_CAPACITY),
            pod_lines: Ring::new(LOG_CAPACITY),
            source: LogSource::Events,
            show_all: false,
            scroll: 0,
        }
    }
}

impl LogPane {
    /// Adds an event in time order (watches of pods and jobs interleave, and a relist
    /// delivers old events); a repeat of the newest one (same object, reason and note)
    /// replaces it, so a flapping pod does not flood the pane.
    pub fn push_event(&mut self, event: EventSummary, row: Option<usize>) {
        if let Some(Entry::Event { event: last, .. }) = self.entries.last_mut()
            && last.regarding == event.regarding
            && last.reason == event.reason
            && last.note == event.note
        {
            *last = event;
            return;
        }
        let time = event.time;
        // Notes carry no time: they stay where they were written.
        self.entries
            .insert_after_last(Entry::Event { event, row }, |e| match e {
                Entry::Event { event, .. } => event.time <= time,
                Entry::Note { .. } => true,
            });
    }

    pub fn note(&mut self, time: i64, level: NoteLevel, text: String) {
        self.entries.push(Entry::Note { time, level, text });
    }

    /// Whether an entry shows when `selected` is the selected row.
    pub fn shows(&self, entry: &Entry, selected: Option<usize>) -> bool {
        match entry {
            Entry::Note { .. } => true,
            Entry::Event { row, .. } => self.show_all || (row.is_some() && *row == selected),
        }
    }

    /// Lines the current source holds (the bound for scrolling).
    pub fn len(&self) -> usize {
        match self.source {
            LogSource::Events => self.entries.len(),
            LogSource::Pod { .. } => self.pod_lines.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }
}

#[cfg(test)]
mod ring_tests {
    use super::Ring;

    #[test]
    fn inserts_in_order_and_drops_the_oldest_when_full() {
        let mut ring = Ring::new(3);
        for t in [10, 30, 20] {
            ring.insert_after_last(t, |x| *x <= t);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![10, 20, 30]);
        ring.insert_after_last(25, |x| *x <= 25);
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![20, 25, 30]);
        // Older than everything kept in a full ring: dropped.
        ring.insert_after_last(5, |x| *x <= 5);
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![20, 25, 30]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{ObjKind, ObjRef};

    fn event(name: &str, reason: &str, count: u32) -> EventSummary {
        EventSummary {
            time: 0,
            warning: false,
            regarding: ObjRef {
                kind: ObjKind::Pod,
                name: name.into(),
            },
            reason: reason.into(),
            note: "n".into(),
            count,
        }
    }

    #[test]
    fn ring_drops_oldest_when_full() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn pane_stays_bounded() {
        let mut pane = LogPane::default();
        for i in 0..(LOG_CAPACITY + 50) {
            pane.push_event(event(&format!("p{i}"), "Pulled", 1), None);
        }
        assert_eq!(pane.entries.len(), LOG_CAPACITY);
    }

    #[test]
    fn repeated_event_replaces_the_newest() {
        let mut pane = LogPane::default();
        pane.push_event(event("a", "BackOff", 1), Some(0));
        pane.push_event(event("a", "BackOff", 2), Some(0));
        pane.push_event(event("b", "BackOff", 1), Some(0));
        assert_eq!(pane.entries.len(), 2);
        assert!(
            matches!(pane.entries.iter().next(), Some(Entry::Event { event, .. }) if event.count == 2)
        );
    }

    #[test]
    fn filter_shows_selected_row_and_notes() {
        let mut pane = LogPane::default();
        let mine = Entry::Event {
            event: event("a", "x", 1),
            row: Some(1),
        };
        let other = Entry::Event {
            event: event("b", "x", 1),
            row: Some(2),
        };
        let note = Entry::Note {
            time: 0,
            level: NoteLevel::Info,
            text: "t".into(),
        };
        assert!(
            pane.shows(&mine, Some(1))
                && !pane.shows(&other, Some(1))
                && pane.shows(&note, Some(1))
        );
        pane.show_all = true;
        assert!(pane.shows(&other, Some(1)));
    }
}
