//! The embedded target: `weaviate_auth_emu::EmbeddedWeaviate`, in process.

use std::collections::BTreeMap;

use weaviate_auth_emu::EmbeddedWeaviate;

use super::StartError;

/// Starts the emulation with exactly `env`.
pub(super) async fn start(env: &BTreeMap<String, String>) -> Result<EmbeddedWeaviate, StartError> {
    EmbeddedWeaviate::builder()
        .envs(env.iter().map(|(k, v)| (k.clone(), v.clone())))
        .start()
        .await
        .map_err(|e| StartError::Refused(e.message))
}
