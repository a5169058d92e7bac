//! One rule for tests whose dependency is missing (the real `weaviate-server`, Python with
//! authlib, the official Python and TypeScript clients, Chromium and chromedriver): outside CI
//! the test prints `skipped: <reason>` and returns without asserting; under `CI=true`, where
//! `.ci/run` installs every one of them, the missing dependency fails the test. A skip is never
//! a pass, and in CI it is never silent.

/// True when `CI=true` (CI's environment, where `.ci/run` installed every test dependency).
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The test cannot run because of `reason`: panics under `CI=true`, else prints
/// `skipped: <reason>` (the caller then returns).
///
/// ```no_run
/// # fn weaviate_bin() -> Result<std::path::PathBuf, conformance::Error> {
/// #     Err(conformance::Error::Unavailable("no binary".into()))
/// # }
/// let bin = match weaviate_bin() {
///     Ok(bin) => bin,
///     Err(why) => return conformance::skip::missing(&why),
/// };
/// ```
#[track_caller]
#[allow(clippy::print_stdout)] // The test's output, where `cargo test` shows skips.
pub fn missing(reason: impl std::fmt::Display) {
    if in_ci() {
        panic!("CI=true, where .ci/run installs every test dependency, but: {reason}");
    }
    println!("skipped: {reason}");
}
