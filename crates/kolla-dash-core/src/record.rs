//! "Bootstrap once", remembered on the data itself: after a service's bootstrap Jobs
//! complete, kolla-dash writes when and by which Jobs on the service's PVC and PV (an
//! annotation), so the record outlives the Jobs (deleted after success on network
//! storage), the namespace (the PV is kept) and the pods. A bootstrap over recorded data
//! is refused unless forced; a deploy skips it.

use std::fmt;

/// The annotation on a service's PVC and PV: `<RFC 3339 time> Job/<name>[ Job/<name>…]`.
pub const ANNOTATION: &str = "kolla-dash/bootstrapped";

/// One recorded bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapRecord {
    /// When the last Job completed, RFC 3339.
    pub at: String,
    /// The Jobs that ran, `Job/<name>`.
    pub jobs: Vec<String>,
}

impl BootstrapRecord {
    /// The annotation's value.
    pub fn value(&self) -> String {
        let mut value = self.at.clone();
        for job in &self.jobs {
            value.push(' ');
            value.push_str(job);
        }
        value
    }

    /// Reads an annotation's value; anything unreadable still counts as a record (someone
    /// wrote it on purpose), with the whole value as its time.
    pub fn parse(value: &str) -> BootstrapRecord {
        let mut words = value.split_whitespace();
        BootstrapRecord {
            at: words.next().unwrap_or(value).to_string(),
            jobs: words.map(str::to_string).collect(),
        }
    }
}

/// `at 2026-01-02T03:04:05Z by Job/mariadb-bootstrap`.
impl fmt::Display for BootstrapRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}", self.at)?;
        if !self.jobs.is_empty() {
            write!(f, " by {}", self.jobs.join(", "))?;
        }
        Ok(())
    }
}

/// Why a bootstrap over recorded data is refused, and the flag that forces it. `on` names
/// the object carrying the record (`PersistentVolumeClaim/mariadb`).
pub fn refusal(service: &str, record: &BootstrapRecord, on: &str) -> String {
    format!(
        "refusing to bootstrap {service}: its data was bootstrapped {record} (recorded on {on}); \
         a second bootstrap runs KOLLA_BOOTSTRAP over that data. Pass --force-bootstrap to run \
         it anyway"
    )
}

/// The dashboard's warning before a forced bootstrap.
pub fn warning(service: &str, record: &BootstrapRecord, on: &str) -> String {
    format!(
        "{service}'s data was bootstrapped {record} (recorded on {on}): bootstrapping again \
         runs KOLLA_BOOTSTRAP over it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_read_as_sentences() {
        let r = BootstrapRecord {
            at: "2026-01-02T03:04:05Z".into(),
            jobs: vec!["Job/mariadb-bootstrap".into()],
        };
        assert_eq!(r.value(), "2026-01-02T03:04:05Z Job/mariadb-bootstrap");
        assert_eq!(BootstrapRecord::parse(&r.value()), r);
        let why = refusal("mariadb", &r, "PersistentVolumeClaim/mariadb");
        assert!(
            why.contains("at 2026-01-02T03:04:05Z by Job/mariadb-bootstrap"),
            "{why}"
        );
        assert!(
            why.ends_with("Pass --force-bootstrap to run it anyway"),
            "{why}"
        );
        assert_eq!(BootstrapRecord::parse("").at, "");
    }
}
