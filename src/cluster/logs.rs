//! Following a pod's container logs, in batches so a chatty pod costs one redraw per batch.

use std::time::Duration;

use futures::{AsyncBufReadExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::{Api, Client};
use tokio::sync::mpsc::UnboundedSender;

use super::apply::explain_what;

/// Lines are flushed at this interval (or when a batch is full).
const FLUSH_EVERY: Duration = Duration::from_millis(100);
const MAX_BATCH: usize = 500;
/// How much history to show when following starts.
const TAIL_LINES: i64 = 200;
/// How much of a crashed container's previous run to show first.
const PREVIOUS_LINES: i64 = 30;

/// What a log follower reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogMsg {
    Lines {
        pod: String,
        lines: Vec<String>,
    },
    /// The stream ended: the pod is gone, its container stopped, or logs are unavailable.
    Ended {
        pod: String,
        reason: String,
    },
}

/// Follows `pod`'s logs until the stream ends or `tx` closes. Cancel by aborting the task.
/// With `previous`, the last lines of its containers' previous run come first (why it
/// crashed), then the current run.
pub async fn follow(
    client: Client,
    namespace: String,
    pod: String,
    previous: bool,
    tx: UnboundedSender<LogMsg>,
) {
    let api: Api<Pod> = Api::namespaced(client, &namespace);
    if previous {
        let params = LogParams {
            previous: true,
            tail_lines: Some(PREVIOUS_LINES),
            ..LogParams::default()
        };
        let mut lines = vec!["── the previous run's last lines (it crashed) ──".to_string()];
        match api.logs(&pod, &params).await {
            Ok(text) => lines.extend(text.lines().map(str::to_string)),
            Err(e) => lines.push(format!("<previous run's logs unavailable: {e}>")),
        }
        lines.push("── the current run ──".to_string());
        if tx
            .send(LogMsg::Lines {
                pod: pod.clone(),
                lines,
            })
            .is_err()
        {
            return;
        }
    }
    let params = LogParams {
        follow: true,
        tail_lines: Some(TAIL_LINES),
        ..LogParams::default()
    };
    let reader = match api.log_stream(&pod, &params).await {
        Ok(r) => r,
        Err(e) => {
            let why = explain_what(e, "follow the logs of", &format!("pod {pod}"));
            let _ = tx.send(LogMsg::Ended {
                reason: format!("logs unavailable: {why:#}"),
                pod,
            });
            return;
        }
    };
    let mut lines = reader.lines().ready_chunks(MAX_BATCH);
    let mut batch = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    let reason = loop {
        tokio::select! {
            chunk = lines.next() => match chunk {
                Some(chunk) => {
                    for line in chunk {
                        match line {
                            Ok(l) => batch.push(l),
                            Err(e) => batch.push(format!("<unreadable log line: {e}>")),
                        }
                    }
                }
                None => break "log stream ended".to_string(),
            },
            _ = tick.tick(), if !batch.is_empty() => {
                let lines = std::mem::take(&mut batch);
                if tx.send(LogMsg::Lines { pod: pod.clone(), lines }).is_err() {
                    return;
                }
            }
        }
    };
    if !batch.is_empty() {
        let _ = tx.send(LogMsg::Lines {
            pod: pod.clone(),
            lines: batch,
        });
    }
    let _ = tx.send(LogMsg::Ended { pod, reason });
}
