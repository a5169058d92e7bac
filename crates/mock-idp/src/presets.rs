//! The bad-token presets (P134): one enum, each variant breaks one property of a valid token.
//!
//! `catalogue.rs` names them (enum, aliases, what changes, the attack) and builds the
//! `_mock/presets` listing; `forge.rs` makes each token from a valid draft; `attacker.rs` holds
//! the attacker's keys and certificate. The provider knows nothing of a relying party: what
//! Weaviate answers to each preset lives in the conformance crate (`conformance::presets`), and
//! reaches the listing only when the embedding program supplies it (`PresetExpectations`).

mod attacker;
mod catalogue;
mod forge;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub use self::catalogue::{expectations, listing, Preset, PresetSpec};
pub use self::forge::{Draft, PresetContext, PresetOptions, DEFAULT_ATTACKER_URL, DEFAULT_OVERSIZED, OTHER_AUDIENCE};
use crate::error::Result;
use crate::extract::TenantRef;
use crate::state::AppState;
pub use crate::state::PresetExpectations;

/// `GET {issuer}/_mock/presets`: the catalogue, with the expectations the embedding program
/// supplied (`AppState::with_preset_expectations`), if any.
pub async fn list(State(state): State<AppState>, TenantRef(_tenant): TenantRef) -> Result<Response> {
    Ok(axum::Json(listing(state.preset_expectations())).into_response())
}
