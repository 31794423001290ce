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
pub async fn follow(client: Client, namespace: String, pod: String, tx: UnboundedSender<LogMsg>) {
    let api: Api<Pod> = Api::namespaced(client, &namespace);
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
