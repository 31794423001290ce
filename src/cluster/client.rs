//! Connecting to a cluster the way kubectl does: KUBECONFIG or ~/.kube/config (with an
//! optional `--context`), else the in-cluster service account. Every request the client
//! sends has a deadline (`--request-timeout`), so a hung API server fails requests with a
//! sentence naming them instead of holding them forever.

use std::fmt;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tower::{BoxError, Layer, Service};

/// `--request-timeout`'s default: long enough for a big list on a busy server, short
/// enough that a hung one is named within a minute.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one request may wait for the API server to start answering; `None`: forever.
/// Spelled as kubectl spells `--request-timeout`: `30s`, `500ms`, `2m`, `1h`, whole
/// seconds, or `0` for no deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeout(pub Option<Duration>);

impl Default for RequestTimeout {
    fn default() -> Self {
        RequestTimeout(Some(DEFAULT_REQUEST_TIMEOUT))
    }
}

impl FromStr for RequestTimeout {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("'{text}' is not a duration: use e.g. 30s, 500ms, 2m, 1h, or 0 for none");
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let n: u64 = number.parse().map_err(|_| bad())?;
        let per_unit = match unit {
            "" | "s" => Duration::from_secs(1),
            "ms" => Duration::from_millis(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        let total = per_unit
            .checked_mul(u32::try_from(n).map_err(|_| bad())?)
            .ok_or_else(bad)?;
        Ok(RequestTimeout((!total.is_zero()).then_some(total)))
    }
}

/// As the flag is spelled (`30s`, `500ms`, `0`), so `--help` shows the default.
impl fmt::Display for RequestTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.map(|d| d.as_millis()) {
            None => f.write_str("0"),
            Some(ms) if ms.is_multiple_of(1000) => write!(f, "{}s", ms / 1000),
            Some(ms) => write!(f, "{ms}ms"),
        }
    }
}

/// "2 s", "1.5 s", "500 ms": a deadline as people say it.
fn span(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A request the API server did not start answering within the deadline.
#[derive(Debug, thiserror::Error)]
#[error("the API server did not answer {request} within {} (--request-timeout)", span(*.after))]
pub struct NoAnswer {
    /// `GET /api/v1/namespaces/kolla`: method and path.
    pub request: String,
    pub after: Duration,
}

/// The deadline that stopped a request, if one did.
pub fn no_answer(err: &kube::Error) -> Option<&NoAnswer> {
    match err {
        kube::Error::Service(e) => e.downcast_ref::<NoAnswer>(),
        _ => None,
    }
}

/// Gives each request a deadline for its response to begin. Only the start is bounded: a
/// watch or a followed log then streams for as long as it lasts.
#[derive(Debug, Clone, Copy)]
struct Deadline(Duration);

impl<S> Layer<S> for Deadline {
    type Service = WithDeadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithDeadline {
            inner,
            after: self.0,
        }
    }
}

#[derive(Debug, Clone)]
struct WithDeadline<S> {
    inner: S,
    after: Duration,
}

impl<S, B> Service<http::Request<B>> for WithDeadline<S>
where
    S: Service<http::Request<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let what = format!("{} {}", request.method(), request.uri().path());
        let after = self.after;
        let response = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(after, response).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(NoAnswer {
                    request: what,
                    after,
                }) as BoxError),
            }
        })
    }
}

/// A client for `config` whose every request has `timeout` as its deadline. Server errors
/// (429, 503, 504) reach the caller at once instead of being retried inside one call: a
/// PodDisruptionBudget's refusal (429, Retry-After 10 s) would otherwise hold an eviction
/// for minutes; watchers back off on their own.
pub fn build(mut config: Config, timeout: RequestTimeout) -> anyhow::Result<Client> {
    config.default_retry = false;
    let builder = ClientBuilder::try_from(config).context("cannot build a Kubernetes client")?;
    Ok(match timeout.0 {
        Some(after) => builder.with_layer(&Deadline(after)).build(),
        None => builder.build(),
    })
}

/// A client plus the name the header shows for it.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The kubeconfig context, or "in-cluster".
    pub context: String,
}

/// Connects like kubectl. `context` overrides the kubeconfig's current context.
pub async fn connect(context: Option<&str>, timeout: RequestTimeout) -> anyhow::Result<Cluster> {
    match Kubeconfig::read() {
        Ok(kubeconfig) => {
            let name = context
                .map(str::to_string)
                .or_else(|| kubeconfig.current_context.clone())
                .context("the kubeconfig has no current context; pass --context NAME")?;
            if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                anyhow::bail!(
                    "context '{name}' is not in the kubeconfig; known contexts: {}",
                    known.join(", ")
                );
            }
            let options = KubeConfigOptions {
                context: Some(name.clone()),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("cannot use kubeconfig context '{name}'"))?;
            Ok(Cluster {
                client: build(config, timeout)?,
                context: name,
            })
        }
        Err(kubeconfig_err) => {
            if context.is_some() {
                return Err(kubeconfig_err).context("--context needs a kubeconfig");
            }
            let config = Config::incluster().map_err(|e| {
                anyhow::anyhow!(
                    "no cluster to talk to: no kubeconfig ({kubeconfig_err}) and not in a pod ({e}). \
                     Set KUBECONFIG, or run `kolla-dash demo` for a local cluster"
                )
            })?;
            Ok(Cluster {
                client: build(config, timeout)?,
                context: "in-cluster".into(),
            })
        }
    }
}

/// The kubeconfig's context names, as kubectl reads them (KUBECONFIG or ~/.kube/config).
pub fn contexts() -> anyhow::Result<Vec<String>> {
    let kubeconfig = Kubeconfig::read()
        .context("no kubeconfig to list contexts from (KUBECONFIG or ~/.kube/config)")?;
    Ok(kubeconfig.contexts.into_iter().map(|c| c.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts_read_like_kubectls() {
        let d = |t: &str| t.parse::<RequestTimeout>().map(|t| t.0);
        assert_eq!(d("2s"), Ok(Some(Duration::from_secs(2))));
        assert_eq!(d("30"), Ok(Some(Duration::from_secs(30))));
        assert_eq!(d("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(d("2m"), Ok(Some(Duration::from_secs(120))));
        assert_eq!(d("1h"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(d("0"), Ok(None), "0 means no deadline, as for kubectl");
        let err = d("soon").unwrap_err();
        assert!(err.contains("not a duration"), "{err}");
        assert!(d("2d").is_err());
        for spelled in ["30s", "500ms", "0"] {
            let parsed: RequestTimeout = spelled.parse().expect("parses");
            assert_eq!(parsed.to_string(), spelled, "round trip");
        }
        assert_eq!(RequestTimeout::default().to_string(), "30s");
    }

    #[test]
    fn a_missed_deadline_names_the_request() {
        let e = NoAnswer {
            request: "GET /api/v1/namespaces/kolla".into(),
            after: Duration::from_secs(2),
        };
        assert_eq!(
            e.to_string(),
            "the API server did not answer GET /api/v1/namespaces/kolla within 2 s \
             (--request-timeout)"
        );
        let e = NoAnswer {
            request: "GET /version".into(),
            after: Duration::from_millis(1500),
        };
        assert!(e.to_string().contains("within 1.5 s"), "{e}");
    }
}
