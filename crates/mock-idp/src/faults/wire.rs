//! The wire form of a fault: one flat object whose `kind` names the [`Fault`] variant, with the
//! parameters of every kind beside it, as the control API, the configuration file and the
//! scenario files write it. Reading it refuses a parameter the kind does not take and a missing
//! required one, naming the field; the value checks are `FaultSpec::validate`'s.

use serde::{Deserialize, Serialize};

use super::spec::{Fault, FaultKind, FaultSpec};
use crate::endpoint::Target;

/// The wire form of a [`FaultSpec`]: every parameter of every kind, each optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFaultSpec {
    endpoint: Target,
    kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mib: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    for_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

/// A fault object that does not describe a fault: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFault {
    /// The field (`ms`, `status`, ...).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for BadFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl RawFaultSpec {
    /// The typed fault: refuses a parameter the kind does not take and a missing required one.
    pub(crate) fn into_spec(self) -> Result<FaultSpec, BadFault> {
        use FaultKind as K;
        let bad = |field: &str, reason: String| BadFault {
            field: field.to_owned(),
            reason,
        };
        let params: [(&str, bool, &[K]); 11] = [
            ("ms", self.ms.is_some(), &[K::Latency]),
            ("jitter_ms", self.jitter_ms.is_some(), &[K::Latency]),
            ("status", self.status.is_some(), &[K::Status, K::OauthError]),
            ("body", self.body.is_some(), &[K::Status]),
            ("content_type", self.content_type.is_some(), &[K::Status, K::WrongContentType]),
            ("mib", self.mib.is_some(), &[K::OversizedBody]),
            ("max_ms", self.max_ms.is_some(), &[K::Hang]),
            ("error", self.error.is_some(), &[K::OauthError]),
            ("error_description", self.error_description.is_some(), &[K::OauthError]),
            ("issuer", self.issuer.is_some(), &[K::DiscoveryIssuerMismatch]),
            ("url", self.url.is_some(), &[K::DiscoveryJwksUnreachable]),
        ];
        for (field, present, kinds) in params {
            if present && !kinds.contains(&self.kind) {
                return Err(bad(field, format!("{field} does not apply to kind {}", self.kind.as_str())));
            }
        }
        let fault = match self.kind {
            K::Latency => Fault::Latency {
                ms: self.ms.ok_or_else(|| bad("ms", "latency needs ms".into()))?,
                jitter_ms: self.jitter_ms,
            },
            K::Status => Fault::Status {
                status: self
                    .status
                    .ok_or_else(|| bad("status", "status needs one of 500, 502, 503, 504".into()))?,
                body: self.body,
                content_type: self.content_type,
            },
            K::TruncatedJson => Fault::TruncatedJson,
            K::WrongContentType => Fault::WrongContentType {
                content_type: self.content_type,
            },
            K::EmptyBody => Fault::EmptyBody,
            K::OversizedBody => Fault::OversizedBody {
                mib: self
                    .mib
                    .ok_or_else(|| bad("mib", "oversized_body needs mib between 1 and 64".into()))?,
            },
            K::ConnectionClosed => Fault::ConnectionClosed,
            K::Hang => Fault::Hang { max_ms: self.max_ms },
            K::JwksEmpty => Fault::JwksEmpty,
            K::JwksUnsupportedKey => Fault::JwksUnsupportedKey,
            K::JwksWrongKeyType => Fault::JwksWrongKeyType,
            K::DiscoveryIssuerMismatch => Fault::DiscoveryIssuerMismatch { issuer: self.issuer },
            K::DiscoveryAlgOmitted => Fault::DiscoveryAlgOmitted,
            K::DiscoveryJwksUnreachable => Fault::DiscoveryJwksUnreachable { url: self.url },
            K::OauthError => Fault::OauthError {
                error: self
                    .error
                    .ok_or_else(|| bad("error", "oauth_error needs an error code of printable ASCII (RFC 6749 §5.2)".into()))?,
                error_description: self.error_description,
                status: self.status,
            },
        };
        Ok(FaultSpec {
            endpoint: self.endpoint,
            fault,
            times: self.times,
            for_s: self.for_s,
            probability: self.probability,
            seed: self.seed,
        })
    }
}

impl From<&FaultSpec> for RawFaultSpec {
    fn from(spec: &FaultSpec) -> RawFaultSpec {
        let mut raw = RawFaultSpec {
            endpoint: spec.endpoint,
            kind: spec.fault.kind(),
            ms: None,
            jitter_ms: None,
            status: None,
            body: None,
            content_type: None,
            mib: None,
            max_ms: None,
            error: None,
            error_description: None,
            issuer: None,
            url: None,
            times: spec.times,
            for_s: spec.for_s,
            probability: spec.probability,
            seed: spec.seed,
        };
        match spec.fault.clone() {
            Fault::Latency { ms, jitter_ms } => (raw.ms, raw.jitter_ms) = (Some(ms), jitter_ms),
            Fault::Status {
                status,
                body,
                content_type,
            } => (raw.status, raw.body, raw.content_type) = (Some(status), body, content_type),
            Fault::WrongContentType { content_type } => raw.content_type = content_type,
            Fault::OversizedBody { mib } => raw.mib = Some(mib),
            Fault::Hang { max_ms } => raw.max_ms = max_ms,
            Fault::DiscoveryIssuerMismatch { issuer } => raw.issuer = issuer,
            Fault::DiscoveryJwksUnreachable { url } => raw.url = url,
            Fault::OauthError {
                error,
                error_description,
                status,
            } => (raw.error, raw.error_description, raw.status) = (Some(error), error_description, status),
            Fault::TruncatedJson
            | Fault::EmptyBody
            | Fault::ConnectionClosed
            | Fault::JwksEmpty
            | Fault::JwksUnsupportedKey
            | Fault::JwksWrongKeyType
            | Fault::DiscoveryAlgOmitted => {}
        }
        raw
    }
}

impl Serialize for FaultSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawFaultSpec::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FaultSpec, D::Error> {
        RawFaultSpec::deserialize(deserializer)?
            .into_spec()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Endpoint;

    #[test]
    fn p144_the_wire_form_is_flat_and_a_parameter_of_another_kind_is_named() {
        let wire = serde_json::json!({"endpoint": "all", "kind": "latency", "ms": 5, "jitter_ms": 2, "times": 3, "seed": 7});
        let spec: FaultSpec = serde_json::from_value(wire.clone()).unwrap();
        let want = FaultSpec {
            seed: Some(7),
            ..FaultSpec::new(Target::All, Fault::Latency { ms: 5, jitter_ms: Some(2) }).times(3)
        };
        assert_eq!(spec, want);
        assert_eq!(serde_json::to_value(&spec).unwrap(), wire, "serialized back to the same object");
        let hang: FaultSpec = serde_json::from_value(serde_json::json!({"endpoint": "token", "kind": "hang"})).unwrap();
        assert_eq!(hang, FaultSpec::new(Endpoint::Token, Fault::Hang { max_ms: None }));
        for (wire, message) in [
            (
                serde_json::json!({"endpoint": "jwks", "kind": "latency", "ms": 1, "mib": 2}),
                "mib: mib does not apply to kind latency",
            ),
            (serde_json::json!({"endpoint": "jwks", "kind": "latency"}), "ms: latency needs ms"),
            (
                serde_json::json!({"endpoint": "jwks", "kind": "status"}),
                "status: status needs one of 500, 502, 503, 504",
            ),
            (
                serde_json::json!({"endpoint": "jwks", "kind": "oauth_error", "body": "x"}),
                "body: body does not apply to kind oauth_error",
            ),
            (serde_json::json!({"endpoint": "mint", "kind": "hang"}), "unknown variant `mint`"),
        ] {
            let err = serde_json::from_value::<FaultSpec>(wire).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
        let mint = FaultSpec::new(Endpoint::Mint, Fault::EmptyBody);
        assert_eq!(
            mint.validate().unwrap_err().0,
            "endpoint",
            "the Rust API cannot target a control route either"
        );
    }
}
