//! The grammar every operator value must fit before it can reach a manifest: OCI image
//! reference parts (registry, repository path, tag) and the plain names ceph and Kubernetes
//! expect. A value that fails is a config error at its file:line:column; a value that passes
//! can hold no newline, `#`, `: `, brace or quote, so it cannot change a manifest's shape
//! however a template places it. Each check returns the sentence saying what is allowed.

/// A check of one value: `(key, value)` to the sentence saying what is allowed.
pub type Check = fn(&str, &str) -> Result<(), String>;

/// OCI limits: a tag is at most 128 characters, a repository name at most 255.
const TAG_MAX: usize = 128;
const NAME_MAX: usize = 255;
/// Ceph names (pool, user, cluster id) and monitor addresses: generous but bounded.
const CEPH_MAX: usize = 255;

/// `docker_registry`: empty (Docker Hub) or `host[:port]`, the host being dot-separated
/// components of letters, digits and inner '-'.
pub fn check_registry(key: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let (host, port) = match value.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (value, None),
    };
    let host_ok = value.len() <= NAME_MAX && host.split('.').all(domain_component);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && all(p, is_digit));
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a registry host for an OCI image reference (dot-separated \
             letters, digits and inner '-', optionally :port, e.g. quay.io or registry.local:5000)",
            shown(value)
        ))
    }
}

/// `docker_namespace` (and image names): empty, or '/'-separated path components of
/// lowercase letters and digits joined by '.', '_', '__' or dashes.
pub fn check_repository_path(key: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || (value.len() <= NAME_MAX && value.split('/').all(path_component)) {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a repository path for an OCI image reference ('/'-separated parts \
             of lowercase letters and digits joined by '.', '_' or '-', e.g. openstack.kolla)",
            shown(value)
        ))
    }
}

/// `openstack_tag` and the parts a tag is built from: a word character, then up to 127
/// word characters, '.' or '-'.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let ok = value.len() <= TAG_MAX
        && chars.next().is_some_and(is_word)
        && chars.all(|c| is_word(c) || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not an OCI image tag (letters, digits, '_', '.' and '-', not starting \
             with '.' or '-', at most {TAG_MAX})",
            shown(value)
        ))
    }
}

/// A ceph pool, user or cluster id: letters, digits, '.', '_' and '-', starting with a
/// letter or digit (the rbd Jobs pass them as arguments: none may read as an option).
pub fn check_ceph_name(key: &str, value: &str) -> Result<(), String> {
    let ok = value.len() <= CEPH_MAX
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && all(value, |c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a ceph name (letters, digits, '.', '_' and '-', starting with a \
             letter or digit, at most {CEPH_MAX})",
            shown(value)
        ))
    }
}

/// A ceph monitor address: a host name, an IPv4 address or a bracketed IPv6 address, with
/// an optional port.
pub fn check_monitor(key: &str, value: &str) -> Result<(), String> {
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && all(p, is_digit);
    let ok = value.len() <= CEPH_MAX
        && match value.strip_prefix('[') {
            Some(rest) => rest.split_once(']').is_some_and(|(ip, port)| {
                ip.contains(':')
                    && all(ip, |c| c.is_ascii_hexdigit() || c == ':' || c == '.')
                    && (port.is_empty() || port.strip_prefix(':').is_some_and(port_ok))
            }),
            None => {
                let (host, port) = value.split_once(':').unwrap_or((value, ""));
                !host.is_empty()
                    && host.split('.').all(domain_component)
                    && (port.is_empty() && !value.ends_with(':') || port_ok(port))
            }
        };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a monitor address (a host or IP address with an optional :port)",
            shown(value)
        ))
    }
}

/// A Kubernetes object name (DNS-1123 subdomain): lowercase letters, digits, '-' and '.'.
pub fn check_object_name(key: &str, value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|part| {
            !part.is_empty()
                && all(part, |c| c.is_ascii_lowercase() || is_digit(c) || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a Kubernetes object name (lowercase letters, digits, '-' and '.', \
             at most 253)",
            shown(value)
        ))
    }
}

/// A node label key, as Kubernetes' qualified names: an optional DNS-subdomain prefix and
/// '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a
/// letter or digit.
pub fn check_label_key(key: &str, value: &str) -> Result<(), String> {
    let (prefix, name) = match value.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, value),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && all(name, |c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| check_object_name(key, p).is_ok());
    if name_ok && prefix_ok {
        Ok(())
    } else {
        Err(format!(
            "{key} {} is not a node label key (an optional DNS prefix and '/', then at most 63 \
             letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
            shown(value)
        ))
    }
}

/// A ceph key as a keyring holds it: base64.
pub fn check_base64(value: &str) -> bool {
    !value.is_empty() && all(value, |c| c.is_ascii_alphanumeric() || "+/=".contains(c))
}

/// The value as messages show it: quoted with escapes (a newline shows as `\n`), cut short
/// when long, so an error is always one line.
pub fn shown(value: &str) -> String {
    const SHOWN_MAX: usize = 60;
    let cut: String = value.chars().take(SHOWN_MAX).collect();
    let more = if cut.len() < value.len() {
        format!("… ({} characters)", value.chars().count())
    } else {
        String::new()
    };
    format!("{:?}{more}", cut)
}

fn all(value: &str, f: impl Fn(char) -> bool) -> bool {
    value.chars().all(f)
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn domain_component(part: &str) -> bool {
    !part.is_empty()
        && all(part, |c| c.is_ascii_alphanumeric() || c == '-')
        && !part.starts_with('-')
        && !part.ends_with('-')
}

/// `[a-z0-9]+` runs joined by one separator each: '.', '_', '__' or any number of '-'.
fn path_component(part: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || is_digit(c);
    let bytes: Vec<char> = part.chars().collect();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep: String = bytes[start..i].iter().collect();
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|c| c == '-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_follow_the_reference_grammar() {
        for ok in [
            "",
            "quay.io",
            "registry.local:5000",
            "localhost",
            "r-1.example.com",
        ] {
            assert_eq!(check_registry("r", ok), Ok(()), "{ok}");
        }
        for bad in [
            "quay.io/",
            "-q.io",
            "q..io",
            "q.io:",
            "q.io:port",
            "q io",
            "q.io\nx",
        ] {
            assert!(check_registry("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repository_paths_follow_the_reference_grammar() {
        for ok in [
            "",
            "openstack.kolla",
            "a/b_c/d__e",
            "kolla---x",
            "mariadb-server",
        ] {
            assert_eq!(check_repository_path("n", ok), Ok(()), "{ok}");
        }
        for bad in [
            "Kolla", "a//b", "a/", ".a", "a..b", "a___b", "a b", "a:b", "ü",
        ] {
            assert!(check_repository_path("n", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_follow_the_reference_grammar() {
        for ok in ["2025.1", "2025.1-ubuntu-noble", "master", "_x", "A.b-c_D"] {
            assert_eq!(check_tag("t", ok), Ok(()), "{ok}");
        }
        let long = "x".repeat(129);
        for bad in [
            "",
            ".x",
            "-x",
            "2025.1 #rc",
            "a:b",
            "a\nb",
            "ü",
            long.as_str(),
        ] {
            assert!(check_tag("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_are_one_line_and_short() {
        let long = format!("x\n{}", "y".repeat(5000));
        let err = check_tag("openstack_tag", &long).unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(
            err.contains("\\n") && err.contains("(5002 characters)"),
            "{err}"
        );
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn ceph_and_object_names() {
        assert!(check_ceph_name("pool", "rbd-1.x_y").is_ok());
        assert!(check_ceph_name("pool", "rbd pool").is_err());
        assert!(check_monitor("m", "[2001:db8::1]:6789").is_ok());
        assert!(check_monitor("m", "mon-1.ceph.local").is_ok());
        for bad in [
            "10.0.0.1:6789,evil",
            "[a]",
            "[::1",
            "a:",
            "a:b",
            "[::1]x",
            "",
        ] {
            assert!(check_monitor("m", bad).is_err(), "{bad}");
        }
        assert!(check_object_name("s", "ceph-secret").is_ok());
        assert!(check_object_name("s", "Ceph_Secret").is_err());
        assert!(check_label_key("l", "kolla_controller").is_ok());
        assert!(check_label_key("l", "node-role.kubernetes.io/control-plane").is_ok());
        for bad in ["-x", "x-", "a/b/c", "Upper.Prefix/x", "a b", ""] {
            assert!(check_label_key("l", bad).is_err(), "{bad}");
        }
        assert!(check_base64("QVFEa2V5+/=="));
        assert!(!check_base64("key\"x"));
    }
}
