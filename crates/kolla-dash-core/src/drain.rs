//! What draining a node would lose, as `kubectl drain` judges it: a pod no controller
//! recreates is gone for good, a pod's emptyDir data is deleted with it, and pods outside
//! kolla's namespace are not kolla-dash's to move. Such pods are evicted only once the
//! operator confirms by typing the node's name; kolla's own controller-managed pods are
//! evicted as usual; DaemonSet and mirror pods stay (they belong to the node).

/// One pod on the node, as far as draining cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePod {
    pub namespace: String,
    pub name: String,
    /// The kind of its controller (ReplicaSet, StatefulSet, Job, DaemonSet), if any.
    pub controller: Option<String>,
    /// Whether it mounts an emptyDir volume.
    pub empty_dir: bool,
    /// A static pod the kubelet mirrors to the API.
    pub mirror: bool,
}

/// Why evicting a pod loses something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// No controller recreates it.
    Bare,
    /// Its emptyDir data is deleted.
    EmptyDir,
    /// It is not in kolla's namespace: not kolla-dash's to move.
    NotKollas,
}

impl Loss {
    fn words(self) -> &'static str {
        match self {
            Loss::Bare => "no controller recreates it",
            Loss::EmptyDir => "its emptyDir data is deleted",
            Loss::NotKollas => "not kolla's",
        }
    }
}

/// What draining does with one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// DaemonSet and mirror pods stay on the node.
    Stays,
    Evict,
    /// Evicted only with the operator's typed confirmation.
    Loses(Vec<Loss>),
}

/// Judges one pod on a node being drained, kolla's pods living in `namespace`.
pub fn verdict(pod: &NodePod, namespace: &str) -> Verdict {
    if pod.mirror || pod.controller.as_deref() == Some("DaemonSet") {
        return Verdict::Stays;
    }
    let losses: Vec<Loss> = [
        (pod.controller.is_none(), Loss::Bare),
        (pod.empty_dir, Loss::EmptyDir),
        (pod.namespace != namespace, Loss::NotKollas),
    ]
    .into_iter()
    .filter_map(|(lost, loss)| lost.then_some(loss))
    .collect();
    if losses.is_empty() {
        Verdict::Evict
    } else {
        Verdict::Loses(losses)
    }
}

/// One phrase per pod that draining would lose: `default/web (no controller recreates it,
/// not kolla's)`.
pub fn losses(pods: &[NodePod], namespace: &str) -> Vec<String> {
    pods.iter()
        .filter_map(|pod| match verdict(pod, namespace) {
            Verdict::Loses(losses) => {
                let why: Vec<&str> = losses.into_iter().map(Loss::words).collect();
                Some(format!(
                    "{}/{} ({})",
                    pod.namespace,
                    pod.name,
                    why.join(", ")
                ))
            }
            Verdict::Stays | Verdict::Evict => None,
        })
        .collect()
}

/// The refusal, one line: what would be lost and how to drain anyway.
pub fn refusal(node: &str, losses: &[String]) -> String {
    format!(
        "drain of {node} refused before cordoning: evicting would lose {}; type the node's \
         name to drain anyway",
        losses.join(", ")
    )
}

/// The dashboard's warning when asking for the node's name.
pub fn warning(node: &str, losses: &[String]) -> String {
    format!(
        "Draining {node} evicts pods that will not come back as they were: {}.",
        losses.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(namespace: &str, controller: Option<&str>, empty_dir: bool) -> NodePod {
        NodePod {
            namespace: namespace.into(),
            name: "p".into(),
            controller: controller.map(String::from),
            empty_dir,
            mirror: false,
        }
    }

    #[test]
    fn kollas_controlled_pods_are_evicted_and_the_rest_needs_consent() {
        assert_eq!(
            verdict(&pod("kolla", Some("ReplicaSet"), false), "kolla"),
            Verdict::Evict
        );
        assert_eq!(
            verdict(&pod("kolla", Some("DaemonSet"), true), "kolla"),
            Verdict::Stays
        );
        let mirror = NodePod {
            mirror: true,
            ..pod("kube-system", None, false)
        };
        assert_eq!(verdict(&mirror, "kolla"), Verdict::Stays);
        assert_eq!(
            verdict(&pod("kolla", None, false), "kolla"),
            Verdict::Loses(vec![Loss::Bare])
        );
        assert_eq!(
            verdict(&pod("kolla", Some("StatefulSet"), true), "kolla"),
            Verdict::Loses(vec![Loss::EmptyDir])
        );
        assert_eq!(
            verdict(&pod("default", None, true), "kolla"),
            Verdict::Loses(vec![Loss::Bare, Loss::EmptyDir, Loss::NotKollas])
        );
    }

    #[test]
    fn the_refusal_names_each_pod_and_why() {
        let pods = [
            pod("default", None, false),
            pod("kolla", Some("ReplicaSet"), true),
        ];
        let lost = losses(&pods, "kolla");
        assert_eq!(
            lost,
            vec![
                "default/p (no controller recreates it, not kolla's)",
                "kolla/p (its emptyDir data is deleted)"
            ]
        );
        let line = refusal("node-1", &lost);
        assert!(
            !line.contains('\n') && line.contains("type the node's name"),
            "{line}"
        );
    }
}
