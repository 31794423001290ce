//! The labels kolla-dash puts on every object it manages; watchers select on them.

/// `app.kubernetes.io/managed-by=kolla-dash` marks every object kolla-dash created.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "kolla-dash";
/// The catalog service an object belongs to (a grid row).
pub const SERVICE: &str = "kolla-dash/service";
/// The resource kind an object belongs to (a grid column), as `Kind::as_str`.
pub const KIND: &str = "kolla-dash/kind";
/// On cluster-scoped objects (PV, StorageClass): the namespace whose deployment owns them.
pub const NAMESPACE: &str = "kolla-dash/namespace";
/// Label selector for everything kolla-dash manages.
pub const SELECTOR: &str = "app.kubernetes.io/managed-by=kolla-dash";
/// Field manager name for server-side apply.
pub const FIELD_MANAGER: &str = "kolla-dash";

/// Selector for the cluster-scoped objects of one namespace's deployment.
pub fn cluster_scoped_selector(namespace: &str) -> String {
    format!("{SELECTOR},{NAMESPACE}={namespace}")
}
