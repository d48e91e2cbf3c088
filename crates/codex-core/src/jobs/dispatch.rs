//! From a [`Component`] to its job: the one place that knows which function runs which
//! component, so the CLI and the demo run them alike (in [`crate::component::PIPELINE`]'s
//! order, in the demo's case).

use serde::Serialize;
use serde_json::Value;

use super::cleaner::CleanerOptions;
use super::diagnostics::DiagnosticsOptions;
use super::{Context, Outcome};
use crate::component::Component;
use crate::telemetry::Telemetry;

/// The options of the components that have flags of their own.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The cleaner's (`--delete`).
    pub cleaner: CleanerOptions,
    /// Diagnostics' (`--repair`, and which variables the workflow passed).
    pub diagnostics: DiagnosticsOptions,
}

/// Run one telemetry-writing component (telemetry-merge is [`super::merge::run`]). The
/// outcome's fields are its telemetry's, as JSON.
pub async fn run(component: Component, ctx: &Context, options: &Options) -> Outcome<Value> {
    match component {
        Component::SelfTest => super::self_test::run(ctx).await.into_json(),
        Component::Cleaner => super::cleaner::run(ctx, options.cleaner).await.into_json(),
        Component::Sync => super::sync::run(ctx).await.into_json(),
        Component::Integrity => super::integrity::run(ctx).await.into_json(),
        Component::Supervisor => super::supervisor::run(ctx).await.into_json(),
        Component::Activity => super::activity::run(ctx).await.into_json(),
        Component::Diagnostics => super::diagnostics::run(ctx, &options.diagnostics)
            .await
            .into_json(),
    }
}

impl<F: Serialize> Outcome<F> {
    /// The same outcome with the component's fields as JSON, so outcomes of different
    /// components can be handled alike (the file was written from the typed fields).
    pub fn into_json(self) -> Outcome<Value> {
        let Outcome {
            telemetry,
            written,
            summary,
        } = self;
        Outcome {
            telemetry: Telemetry {
                envelope: telemetry.envelope,
                fields: serde_json::to_value(&telemetry.fields).unwrap_or(Value::Null),
            },
            written,
            summary,
        }
    }
}
