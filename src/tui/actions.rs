//! Carrying out the model's actions with the same engine as the CLI verbs, off the UI
//! thread; each reports its start and its result back as messages.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::access;
use crate::catalog::Verb;
use crate::cluster::nodes;
use crate::cluster::simulate;
use crate::engine::{Engine, ForeignObjects, Outcome};
use crate::model::{Action, Consent, Msg, NodeOp};

/// Runs `action` in the background; `id` ties its messages together.
pub fn spawn(engine: Arc<Engine>, id: u64, action: Action, tx: UnboundedSender<Msg>) {
    let _ = tx.send(Msg::ActionStarted {
        id,
        what: action.to_string(),
    });
    tokio::spawn(async move {
        let result = perform(&engine, &action, &tx)
            .await
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::ActionFinished { id, result });
    });
}

/// Carries `action` out; `tx` hears what the model must answer besides the result (a
/// refused drain).
async fn perform(
    engine: &Engine,
    action: &Action,
    tx: &UnboundedSender<Msg>,
) -> anyhow::Result<String> {
    let client = &engine.cluster.client;
    let outcomes = match action {
        Action::Create {
            service,
            kind,
            consent,
        } => engine.create(service, *kind, *consent).await,
        Action::Delete {
            service,
            kind,
            delete_data,
        } => {
            let refuse = ForeignObjects::Refuse;
            engine.delete(service, *kind, *delete_data, refuse).await
        }
        Action::Bootstrap { services, consent } => {
            each(engine, Verb::Bootstrap, services, false, *consent).await
        }
        Action::Run { services, consent } => {
            each(engine, Verb::Run, services, false, *consent).await
        }
        Action::Kill {
            services,
            delete_data,
        } => {
            each(
                engine,
                Verb::Kill,
                services,
                *delete_data,
                Consent::default(),
            )
            .await
        }
        Action::Node { node, op } => {
            // Drain cordons first: every right it takes is checked before that.
            engine
                .access
                .require(&action.to_string(), &node_needs(*op))
                .await?;
            return node_op(engine, node, *op, tx).await;
        }
        Action::EveryNode { op } => {
            engine
                .access
                .require(&action.to_string(), &node_needs(*op))
                .await?;
            // Only the simulated nodes can fail and come back (the only operations offered).
            let mut done = Vec::new();
            for node in simulate::node_names(client).await? {
                done.push(node_op(engine, &node, *op, tx).await?);
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

/// The rights a node operation takes.
fn node_needs(op: NodeOp) -> Vec<access::Need> {
    match op {
        NodeOp::Cordon | NodeOp::Uncordon => access::to_cordon(),
        NodeOp::Drain | NodeOp::DrainAnyway => access::to_drain(),
        // The local demo cluster's own knobs, used with its admin credentials.
        NodeOp::Fail | NodeOp::Restore => Vec::new(),
    }
}

/// One node operation; the line for the status bar. A drain that would lose pods tells
/// `tx`, so the dashboard can ask for the node's name.
async fn node_op(
    engine: &Engine,
    node: &str,
    op: NodeOp,
    tx: &UnboundedSender<Msg>,
) -> anyhow::Result<String> {
    let (client, namespace) = (&engine.cluster.client, engine.namespace());
    match op {
        NodeOp::Cordon => nodes::cordon(client, node, true)
            .await
            .map(|()| format!("{node} cordoned")),
        NodeOp::Uncordon => nodes::cordon(client, node, false)
            .await
            .map(|()| format!("{node} uncordoned")),
        NodeOp::Drain | NodeOp::DrainAnyway => {
            let force = op == NodeOp::DrainAnyway;
            match nodes::drain(client, node, namespace, force, nodes::DRAIN_PATIENCE).await {
                Ok(n) => Ok(format!("{node} drained: {n} pods evicted")),
                Err(e) => {
                    // The dashboard asks for the node's name, then drains anyway.
                    if let Some(refused) = e.downcast_ref::<nodes::WouldLose>() {
                        let _ = tx.send(Msg::DrainRefused {
                            node: refused.node.clone(),
                            losses: refused.losses.clone(),
                        });
                    }
                    Err(e)
                }
            }
        }
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
    consent: Consent,
) -> anyhow::Result<Vec<Outcome>> {
    let mut all = Vec::new();
    for s in services {
        all.extend(engine.verb(verb, s, delete_data, consent).await?);
    }
    Ok(all)
}

/// One line for the status bar: what happened, most telling first.
fn summarize(outcomes: &[Outcome]) -> String {
    match outcomes {
        [] => "nothing to do".to_string(),
        [one] => one.to_string(),
        many => {
            // What was kept, reattached, recorded, left alone or taken over says itself.
            let kept: Vec<String> = many
                .iter()
                .filter(|o| o.worth_telling())
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
