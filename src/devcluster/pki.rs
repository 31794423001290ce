//! Certificates, keys and the admin credential of one cluster, and its kubeconfig.

use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use rand::distr::{Alphanumeric, SampleString};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use super::state::Layout;

/// The admin user; `system:masters` bypasses RBAC, like kubeadm's admin.conf.
const ADMIN_USER: &str = "kolla-dash-admin";
const CONTEXT: &str = "kolla-dash-dev";
/// Context of a user no RBAC rule grants anything: what a forbidden operator sees.
pub const UNPRIVILEGED_CONTEXT: &str = "kolla-dash-dev-unprivileged";
/// Users that start with no rights either, for trying (and testing) the roles
/// `kolla-dash rbac --user NAME` prints: an operator and a read-only viewer.
pub const OPERATOR_USER: &str = "kolla-dash-operator";
pub const OPERATOR_CONTEXT: &str = "kolla-dash-dev-operator";
pub const VIEWER_USER: &str = "kolla-dash-viewer";
pub const VIEWER_CONTEXT: &str = "kolla-dash-dev-viewer";
/// Every user besides the admin, with its context.
const USERS: [(&str, &str); 3] = [
    ("kolla-dash-nobody", UNPRIVILEGED_CONTEXT),
    (OPERATOR_USER, OPERATOR_CONTEXT),
    (VIEWER_USER, VIEWER_CONTEXT),
];

/// Writes a fresh CA, the apiserver's serving certificate, the service-account key and a
/// static admin token into the state directory's `pki/` (which must exist).
pub fn generate(layout: &Layout) -> anyhow::Result<()> {
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kolla-dash dev-cluster CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).context("signing the CA")?;
    let issuer = Issuer::new(ca_params, ca_key);

    // A leaf, not a CA: rustls refuses a CA certificate as a server certificate, and the
    // IP SAN is what a client connecting to https://127.0.0.1 checks.
    let serving_key = KeyPair::generate().context("generating the apiserver key")?;
    let mut serving = CertificateParams::new(vec![
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        "kubernetes.default.svc".to_owned(),
    ])?;
    serving
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    serving.is_ca = IsCa::ExplicitNoCa;
    serving.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    serving.use_authority_key_identifier_extension = true;
    let serving_cert = serving
        .signed_by(&serving_key, &issuer)
        .context("signing the apiserver certificate")?;

    let sa_key = KeyPair::generate().context("generating the service-account key")?;
    let token = || Alphanumeric.sample_string(&mut rand::rng(), 40);
    // One line per user: token,name,uid[,groups].
    let mut tokens = format!("{},{ADMIN_USER},{ADMIN_USER},\"system:masters\"\n", token());
    for (user, _) in USERS {
        tokens.push_str(&format!("{},{user},{user}\n", token()));
    }

    write(&layout.ca_cert(), &ca_cert.pem())?;
    write(&layout.serving_cert(), &serving_cert.pem())?;
    write(&layout.serving_key(), &serving_key.serialize_pem())?;
    write(&layout.service_account_key(), &sa_key.serialize_pem())?;
    write(&layout.service_account_pub(), &sa_key.public_key_pem())?;
    write(&layout.token_file(), &tokens)?;
    Ok(())
}

/// Writes `<state>/kubeconfig` for the admin user, with the CA embedded so the file works
/// on its own (kubectl, kube-rs).
pub fn write_kubeconfig(layout: &Layout, apiserver_port: u16) -> anyhow::Result<()> {
    let ca = std::fs::read(layout.ca_cert())
        .with_context(|| format!("reading {}", layout.ca_cert().display()))?;
    let tokens = std::fs::read_to_string(layout.token_file())
        .with_context(|| format!("reading {}", layout.token_file().display()))?;
    // One line per user: token,name,uid[,groups].
    let token_of = |user: &str| {
        tokens
            .lines()
            .find(|l| l.split(',').nth(1) == Some(user))
            .and_then(|l| l.split(',').next())
            .filter(|t| !t.is_empty())
            .with_context(|| format!("no token for {user} in {}", layout.token_file().display()))
    };
    let mut users =
        vec![serde_json::json!({ "name": ADMIN_USER, "user": { "token": token_of(ADMIN_USER)? } })];
    let mut contexts = vec![serde_json::json!({
        "name": CONTEXT,
        "context": { "cluster": CONTEXT, "user": ADMIN_USER, "namespace": "default" },
    })];
    for (user, context) in USERS {
        users.push(serde_json::json!({ "name": user, "user": { "token": token_of(user)? } }));
        contexts.push(serde_json::json!({
            "name": context,
            "context": { "cluster": CONTEXT, "user": user, "namespace": "default" },
        }));
    }
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": CONTEXT,
            "cluster": {
                "server": format!("https://127.0.0.1:{apiserver_port}"),
                "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(ca),
            },
        }],
        "users": users,
        "contexts": contexts,
        "current-context": CONTEXT,
    });
    let text = serde_saphyr::to_string(&config).context("serialising the kubeconfig")?;
    write(&layout.kubeconfig(), &text)
}

/// Writes a file readable only by its owner: these are keys and credentials.
fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
