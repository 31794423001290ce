//! The connection state the header shows, derived from the watchers' reports and the
//! liveness probe's verdicts: silent while the API server does not answer, lost when any
//! watch fails, connected again once every failed watch has relisted.

use std::collections::BTreeSet;

use crate::model::{Connection, Liveness, Msg};
use crate::summary::ObjKind;

#[derive(Debug, Default)]
pub struct Link {
    /// Whether `Connected` was sent since the start or the last loss.
    announced: bool,
    lost: BTreeSet<ObjKind>,
    since: i64,
    last_update: i64,
    /// The probe's verdict: nothing heard from the server since then.
    silent: Option<i64>,
}

impl Link {
    /// Looks at a message (at time `now`); returns a connection change to send.
    pub fn observe(&mut self, msg: &Msg, now: i64) -> Option<Msg> {
        match msg {
            Msg::Liveness(Liveness::Silent { last_heard }) => {
                self.silent = Some(*last_heard);
                self.announced = false;
                Some(Msg::Connection(Connection::Silent {
                    last_heard: *last_heard,
                }))
            }
            Msg::Liveness(Liveness::Answering) => {
                self.silent = None;
                self.last_update = now;
                if self.lost.is_empty() {
                    self.announce()
                } else {
                    Some(self.lost_msg())
                }
            }
            Msg::WatchLost(kind) => {
                let was_connected = self.lost.is_empty();
                self.lost.insert(*kind);
                if was_connected {
                    self.since = now;
                    self.announced = false;
                }
                // While the server is silent, that says more than a lost watch.
                (was_connected && self.silent.is_none()).then(|| self.lost_msg())
            }
            // A refusal is an answer too: the API server is reachable.
            Msg::Resynced(kind, _) | Msg::Forbidden(kind) => {
                self.last_update = now;
                self.lost.remove(kind);
                self.announce()
            }
            Msg::Applied(_) | Msg::Deleted(_) | Msg::Event(_) => {
                self.last_update = now;
                None
            }
            _ => None,
        }
    }

    /// Whether the header's age should tick (lost or silent).
    pub fn is_lost(&self) -> bool {
        !self.lost.is_empty() || self.silent.is_some()
    }

    /// `Connected`, once, when nothing is lost and the server answers.
    fn announce(&mut self) -> Option<Msg> {
        let announce = self.lost.is_empty() && self.silent.is_none() && !self.announced;
        self.announced |= announce;
        announce.then_some(Msg::Connection(Connection::Connected))
    }

    fn lost_msg(&self) -> Msg {
        Msg::Connection(Connection::Lost {
            since: self.since,
            last_update: self.last_update,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_once_then_connected_when_every_failed_watch_relisted() {
        let mut link = Link::default();
        // The first relist connects; later ones say nothing new.
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Pod, vec![]), 100),
            Some(Msg::Connection(Connection::Connected))
        );
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Job, vec![]), 100),
            None
        );
        assert_eq!(
            link.observe(&Msg::WatchLost(ObjKind::Pod), 105),
            Some(Msg::Connection(Connection::Lost {
                since: 105,
                last_update: 100
            }))
        );
        // A second failing watch does not restart the outage.
        assert_eq!(link.observe(&Msg::WatchLost(ObjKind::Job), 106), None);
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Pod, vec![]), 110),
            None
        );
        assert!(link.is_lost());
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Job, vec![]), 111),
            Some(Msg::Connection(Connection::Connected))
        );
    }

    #[test]
    fn silence_outranks_lost_watches_until_the_server_answers_and_every_kind_relisted() {
        let mut link = Link::default();
        link.observe(&Msg::Resynced(ObjKind::Pod, vec![]), 100);
        link.observe(&Msg::Resynced(ObjKind::Job, vec![]), 100);
        assert_eq!(
            link.observe(&Msg::Liveness(Liveness::Silent { last_heard: 98 }), 102),
            Some(Msg::Connection(Connection::Silent { last_heard: 98 }))
        );
        assert!(link.is_lost(), "the header's age ticks while silent");
        // The supervisor reports every kind lost: the header stays on the silence.
        assert_eq!(link.observe(&Msg::WatchLost(ObjKind::Pod), 102), None);
        assert_eq!(link.observe(&Msg::WatchLost(ObjKind::Job), 102), None);
        // A late relist from an old watcher does not end the silence.
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Job, vec![]), 103),
            None
        );
        assert_eq!(
            link.observe(&Msg::Liveness(Liveness::Answering), 120),
            Some(Msg::Connection(Connection::Lost {
                since: 102,
                last_update: 120
            })),
            "answering, relisting"
        );
        assert_eq!(
            link.observe(&Msg::Resynced(ObjKind::Pod, vec![]), 121),
            Some(Msg::Connection(Connection::Connected))
        );
        assert!(!link.is_lost());
    }
}
