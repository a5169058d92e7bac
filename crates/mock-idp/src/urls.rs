//! The URL rule shared by the configuration and the fault plan (P1).

/// P1: scheme, host, optional port and path; no query, no fragment, no spaces.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("{url:?} is not an absolute URL (scheme://host[:port][/path])"));
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("{url:?} must use http or https"));
    }
    if url.contains('?') || url.contains('#') {
        return Err(format!("{url:?} must not contain a query or a fragment"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} must not contain spaces"));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}
