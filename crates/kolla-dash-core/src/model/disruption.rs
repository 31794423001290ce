//! What Kubernetes' node lifecycle controller does about evictions when many nodes are
//! NotReady at once (its disruption modes), so the screen can say why nothing moves. The
//! thresholds are the controller's defaults (`--unhealthy-zone-threshold=0.55`,
//! `--large-cluster-size-threshold=50`); a controller tuned otherwise acts otherwise.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// The labels the controller groups nodes into zones by (region, then zone).
const REGION_LABEL: &str = "topology.kubernetes.io/region";
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// A zone with more than two NotReady nodes and at least this percentage NotReady is
/// partially disrupted.
const UNHEALTHY_ZONE_PERCENT: usize = 55;
/// A partially disrupted zone this large (or smaller) stops evicting; a larger one slows.
const LARGE_ZONE: usize = 50;

/// How the node lifecycle controller evicts pods from NotReady nodes right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "evictions", rename_all = "kebab-case")]
pub enum Evictions {
    Normal,
    /// Every node is NotReady ("full disruption"): the controller suspects itself or the
    /// network rather than the nodes, evicts nothing and lifts its eviction taints, so the
    /// pods stay on the dead nodes with the state they last reported.
    PausedEverywhere {
        nodes: usize,
    },
    /// More than two nodes and at least 55 % of a small zone are NotReady ("partial
    /// disruption"): no more nodes there are tainted for eviction.
    PausedInZone {
        zone: String,
        not_ready: usize,
        total: usize,
    },
    /// The same in a zone of more than 50 nodes: evictions go on, slowly.
    SlowedInZone {
        zone: String,
        not_ready: usize,
        total: usize,
    },
}

impl Evictions {
    /// Whether the controller has stopped evicting somewhere.
    pub fn paused(&self) -> bool {
        matches!(
            self,
            Evictions::PausedEverywhere { .. } | Evictions::PausedInZone { .. }
        )
    }
}

/// The zone the controller puts a node in, from its labels ("" when unlabelled).
pub fn zone_of(labels: &[(String, String)]) -> String {
    let get = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    match (get(REGION_LABEL), get(ZONE_LABEL)) {
        ("", "") => String::new(),
        ("", zone) => zone.to_string(),
        (region, zone) => format!("{region}/{zone}"),
    }
}

/// Nodes counted per zone, Ready and not: what the controller's verdict reads, kept up to
/// date one node at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zones {
    /// zone -> (ready, not ready)
    counts: BTreeMap<String, (usize, usize)>,
}

impl Zones {
    /// Counts a node in `zone` (or, with `add` false, takes it back).
    pub fn count(&mut self, zone: &str, ready: bool, add: bool) {
        let counts = self.counts.entry(zone.to_string()).or_default();
        let slot = if ready { &mut counts.0 } else { &mut counts.1 };
        if add {
            *slot += 1;
        } else {
            *slot -= 1;
        }
        if *counts == (0, 0) {
            self.counts.remove(zone);
        }
    }

    /// The controller's verdict for the nodes counted.
    pub fn evictions(&self) -> Evictions {
        let zones = &self.counts;
        if !zones.is_empty() && zones.values().all(|&(ready, _)| ready == 0) {
            let nodes = zones.values().map(|&(_, down)| down).sum();
            return Evictions::PausedEverywhere { nodes };
        }
        let mut verdict = Evictions::Normal;
        for (zone, &(ready, not_ready)) in zones {
            let total = ready + not_ready;
            if not_ready <= 2 || not_ready * 100 < UNHEALTHY_ZONE_PERCENT * total {
                continue;
            }
            let zone = zone.clone();
            if total <= LARGE_ZONE {
                return Evictions::PausedInZone {
                    zone,
                    not_ready,
                    total,
                };
            }
            verdict = Evictions::SlowedInZone {
                zone,
                not_ready,
                total,
            };
        }
        verdict
    }
}

/// "zone z" or, for unlabelled nodes, "the cluster".
fn zone_words(zone: &str) -> String {
    if zone.is_empty() {
        "the cluster".to_string()
    } else {
        format!("zone {zone}")
    }
}

/// The sentence the header and the incidents say.
impl fmt::Display for Evictions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evictions::Normal => write!(f, "evictions proceed normally"),
            Evictions::PausedEverywhere { nodes } => write!(
                f,
                "all {nodes} nodes are NotReady: Kubernetes pauses evictions (full disruption), \
                 so the pods shown sit on dead nodes with the state they last reported"
            ),
            Evictions::PausedInZone {
                zone,
                not_ready,
                total,
            } => write!(
                f,
                "{not_ready} of {total} nodes in {} are NotReady: Kubernetes pauses evictions \
                 there (partial disruption), so pods on those dead nodes stay where they are",
                zone_words(zone)
            ),
            Evictions::SlowedInZone {
                zone,
                not_ready,
                total,
            } => write!(
                f,
                "{not_ready} of {total} nodes in {} are NotReady: Kubernetes slows evictions \
                 there (partial disruption)",
                zone_words(zone)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evictions<'a>(nodes: impl IntoIterator<Item = (&'a str, bool)>) -> Evictions {
        let mut zones = Zones::default();
        for (zone, ready) in nodes {
            zones.count(zone, ready, true);
        }
        zones.evictions()
    }

    fn flat(ready: usize, not_ready: usize) -> Evictions {
        let nodes = std::iter::repeat_n(("", true), ready)
            .chain(std::iter::repeat_n(("", false), not_ready));
        evictions(nodes)
    }

    #[test]
    fn a_node_taken_back_leaves_the_counts_as_before() {
        let mut zones = Zones::default();
        zones.count("a", true, true);
        let one = zones.clone();
        zones.count("b", false, true);
        zones.count("b", false, false);
        assert_eq!(zones, one, "an emptied zone is forgotten");
    }

    #[test]
    fn every_node_down_pauses_evictions_everywhere() {
        assert_eq!(flat(0, 3), Evictions::PausedEverywhere { nodes: 3 });
        assert!(flat(0, 1).paused());
        assert_eq!(
            flat(0, 0),
            Evictions::Normal,
            "no nodes, nothing to evict from"
        );
        let text = flat(0, 3).to_string();
        assert!(
            text.contains("pauses evictions (full disruption)"),
            "{text}"
        );
        assert!(text.contains("pods shown sit on dead nodes"), "{text}");
    }

    #[test]
    fn a_zone_needs_more_than_two_and_55_percent_down_to_pause() {
        assert_eq!(flat(1, 2), Evictions::Normal, "two down never disrupts");
        assert_eq!(flat(3, 3), Evictions::Normal, "50 % is below the threshold");
        assert_eq!(
            flat(2, 3),
            Evictions::PausedInZone {
                zone: String::new(),
                not_ready: 3,
                total: 5
            }
        );
        assert!(matches!(
            flat(40, 60),
            Evictions::SlowedInZone { not_ready: 60, .. }
        ));
        assert!(!flat(40, 60).paused());
    }

    #[test]
    fn zones_are_judged_apart_and_one_healthy_zone_keeps_evictions_going() {
        let nodes = [("a", false), ("a", false), ("b", true)];
        assert_eq!(
            evictions(nodes),
            Evictions::Normal,
            "zone a is down, b answers"
        );
        let labels = |zone: &str| {
            vec![
                (
                    "topology.kubernetes.io/region".to_string(),
                    "eu".to_string(),
                ),
                ("topology.kubernetes.io/zone".to_string(), zone.to_string()),
            ]
        };
        assert_eq!(zone_of(&labels("eu-1a")), "eu/eu-1a");
        assert_eq!(zone_of(&[]), "");
    }
}
