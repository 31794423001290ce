//! The resource kinds of the grid's columns, in kolla-kubernetes' creation order.

use std::fmt;
use std::str::FromStr;

/// One column of the grid: a kind of resource a service may have.
///
/// The order of the variants is the creation order (`bootstrap` creates disk..bootstrap,
/// `run` creates svc, configmap, pod); deletion goes in reverse.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Disk,
    Pv,
    Pvc,
    Svc,
    Configmap,
    Bootstrap,
    Pod,
}

impl Kind {
    /// How many kinds (grid columns) there are.
    pub const COUNT: usize = 7;

    pub const ALL: [Kind; Kind::COUNT] = [
        Kind::Disk,
        Kind::Pv,
        Kind::Pvc,
        Kind::Svc,
        Kind::Configmap,
        Kind::Bootstrap,
        Kind::Pod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Disk => "disk",
            Kind::Pv => "pv",
            Kind::Pvc => "pvc",
            Kind::Svc => "svc",
            Kind::Configmap => "configmap",
            Kind::Bootstrap => "bootstrap",
            Kind::Pod => "pod",
        }
    }

    /// Kinds that hold an operator's data: deleting them needs explicit consent.
    pub fn holds_data(self) -> bool {
        matches!(self, Kind::Disk | Kind::Pv | Kind::Pvc)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a word that names no kind; it lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resource kind '{0}'; valid kinds: disk, pv, pvc, svc, configmap, bootstrap, pod")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_lists_valid_names() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        let err = "pvcs".parse::<Kind>().unwrap_err();
        assert!(err.to_string().contains("valid kinds: disk, pv, pvc"));
    }

    #[test]
    fn only_storage_kinds_hold_data() {
        let data: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.holds_data()).collect();
        assert_eq!(data, vec![Kind::Disk, Kind::Pv, Kind::Pvc]);
    }
}
