//! The connection state the header shows, derived from the watchers' reports: lost when
//! any watch fails, connected again once every failed watch has relisted.

use std::collections::BTreeSet;

use crate::model::{Connection, Msg};
use crate::summary::ObjKind;

#[derive(Debug, Default)]
pub struct Link {
    /// Whether `Connected` was sent since the start or the last loss.
    announced: bool,
    lost: BTreeSet<ObjKind>,
    since: i64,
    last_update: i64,
}

impl Link {
    /// Looks at a watcher message (at time `now`); returns a connection change to send.
    pub fn observe(&mut self, msg: &Msg, now: i64) -> Option<Msg> {
        match msg {
            Msg::WatchLost(kind) => {
                let was_connected = self.lost.is_empty();
                self.lost.insert(*kind);
                if was_connected {
                    self.since = now;
                    self.announced = false;
                }
                was_connected.then(|| self.lost_msg())
            }
            // A refusal is an answer too: the API server is reachable.
            Msg::Resynced(kind, _) | Msg::Forbidden(kind) => {
                self.last_update = now;
                self.lost.remove(kind);
                let announce = self.lost.is_empty() && !self.announced;
                self.announced |= announce;
                announce.then_some(Msg::Connection(Connection::Connected))
            }
            Msg::Applied(_) | Msg::Deleted(_) | Msg::Event(_) => {
                self.last_update = now;
                None
            }
            _ => None,
        }
    }

    pub fn is_lost(&self) -> bool {
        !self.lost.is_empty()
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
}
