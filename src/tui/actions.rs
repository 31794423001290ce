//! Carrying out the model's actions with the same engine as the CLI verbs, off the UI
//! thread; each reports its start and its result back as messages.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::access;
use crate::catalog::Verb;
use crate::cluster::nodes;
use crate::cluster::simulate;
use crate::engine::{Engine, Outcome};
use crate::model::{Action, Msg, NodeOp};

/// Runs `action` in the background; `id` ties its messages together.
pub fn spawn(engine: Arc<Engine>, id: u64, action: Action, tx: UnboundedSender<Msg>) {
    let _ = tx.send(Msg::ActionStarted {
        id,
        what: action.to_string(),
    });
    tokio::spawn(async move {
        let result = perform(&engine, &action)
            .await
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::ActionFinished { id, result });
    });
}

async fn perform(engine: &Engine, action: &Action) -> anyhow::Result<String> {
    let client = &engine.cluster.client;
    let outcomes = match action {
        Action::Create { service, kind } => engine.create(service, *kind).await,
        Action::Delete {
            service,
            kind,
            delete_data,
        } => engine.delete(service, *kind, *delete_data).await,
        Action::Bootstrap { services } => each(engine, Verb::Bootstrap, services, false).await,
        Action::Run { services } => each(engine, Verb::Run, services, false).await,
        Action::Kill {
            services,
            delete_data,
        } => each(engine, Verb::Kill, services, *delete_data).await,
        Action::Node { node, op } => {
            // Drain cordons first: every right it takes is checked before that.
            engine
                .access
                .require(&action.to_string(), &node_needs(*op))
                .await?;
            return node_op(client, node, *op).await;
        }
        Action::EveryNode { op } => {
            engine
                .access
                .require(&action.to_string(), &node_needs(*op))
                .await?;
            // Only the simulated nodes can fail and come back (the only operations offered).
            let mut done = Vec::new();
            for node in simulate::node_names(client).await? {
                done.push(node_op(client, &node, *op).await?);
            }
            return Ok(done.join("; "));
        }
        // The dashboard runs these as workflows, never as one-shot actions.
        Action::Deploy { .. } | Action::Teardown { .. } => {
            anyhow::bail!("'{action}' runs as a workflow")
        }
    };
    Ok(summarize(&outcomes?))
}

/// One node operation; the line for the status bar.
/// The rights a node operation takes.
fn node_needs(op: NodeOp) -> Vec<access::Need> {
    match op {
        NodeOp::Cordon | NodeOp::Uncordon => access::to_cordon(),
        NodeOp::Drain => access::to_drain(),
        // The local demo cluster's own knobs, used with its admin credentials.
        NodeOp::Fail | NodeOp::Restore => Vec::new(),
    }
}

async fn node_op(client: &kube::Client, node: &str, op: NodeOp) -> anyhow::Result<String> {
    match op {
        NodeOp::Cordon => nodes::cordon(client, node, true)
            .await
            .map(|()| format!("{node} cordoned")),
        NodeOp::Uncordon => nodes::cordon(client, node, false)
            .await
            .map(|()| format!("{node} uncordoned")),
        NodeOp::Drain => nodes::drain(client, node, nodes::DRAIN_PATIENCE)
            .await
            .map(|n| format!("{node} drained: {n} pods evicted")),
        NodeOp::Fail => simulate::fail(client, node, simulate::Failure::NotReady)
            .await
            .map(|()| format!("{node} failed (NotReady)")),
        NodeOp::Restore => simulate::restore(client, node)
            .await
            .map(|()| format!("{node} restored")),
    }
}

async fn each(
    engine: &Engine,
    verb: Verb,
    services: &[String],
    delete_data: bool,
) -> anyhow::Result<Vec<Outcome>> {
    let mut all = Vec::new();
    for s in services {
        all.extend(engine.verb(verb, s, delete_data).await?);
    }
    Ok(all)
}

/// One line for the status bar: what happened, most telling first.
fn summarize(outcomes: &[Outcome]) -> String {
    match outcomes {
        [] => "nothing to do".to_string(),
        [one] => one.to_string(),
        many => {
            let kept: Vec<String> = many
                .iter()
                .filter(|o| matches!(o, Outcome::KeptData { .. }))
                .map(ToString::to_string)
                .collect();
            let mut line = format!("{} objects done", many.len() - kept.len());
            for k in kept {
                line.push_str("; ");
                line.push_str(&k);
            }
            line
        }
    }
}
