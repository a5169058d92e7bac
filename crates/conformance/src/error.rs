//! The crate's error: why a run, a target, a client driver or a sweep could not do its work.
//!
//! A scenario that plays and gets the wrong answer is not an error: it is a failed
//! [`crate::report::Outcome`] with a message. This type is for what stops the playing itself,
//! sorted by what a user does about it: install something ([`Error::Unavailable`]), fix an input
//! ([`Error::Invalid`]), fix Weaviate's configuration ([`Error::Refused`]), or read what a
//! program or an exchange said ([`Error::Process`], [`Error::Exchange`], [`Error::Io`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// Why the conformance crate could not do what it was asked.
#[derive(Debug)]
pub enum Error {
    /// Something the run needs is not on this machine (a program, a built binary, a browser,
    /// the oracle, Docker). A skip outside CI (see [`crate::skip::missing`]), never a pass.
    Unavailable(String),
    /// A Weaviate target refused its configuration; the message is what it logged.
    Refused(String),
    /// An input that does not parse or is not valid: a target name, a scenario, an env file,
    /// a known-differences entry, a published API document.
    Invalid(String),
    /// A file or folder could not be read or written.
    Io {
        /// What was being done, e.g. `reading` or `creating`.
        doing: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A child process (a build, a client driver, the oracle, a server) failed or did not
    /// finish in time; what it printed is in the message.
    Process(String),
    /// An HTTP or gRPC exchange with the provider or a target failed, or answered what the
    /// harness cannot use (which is not a scenario's verdict: the step could not be made).
    Exchange(String),
    /// Two implementations that must agree did not: the emulation's verifier and go-oidc's, on
    /// the token and recipe the message names.
    Disagreement(String),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(doing: &'static str, path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            doing,
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// An [`Error::Exchange`] from anything printable.
    pub fn exchange(what: impl fmt::Display) -> Error {
        Error::Exchange(what.to_string())
    }

    /// An [`Error::Invalid`] from anything printable.
    pub fn invalid(what: impl fmt::Display) -> Error {
        Error::Invalid(what.to_string())
    }

    /// An [`Error::Process`] from anything printable.
    pub fn process(what: impl fmt::Display) -> Error {
        Error::Process(what.to_string())
    }

    /// The same error with `context` put before its message (`context: message`). The kind is
    /// kept, but for an I/O error, which has no message to prefix: it becomes a
    /// [`Error::Process`] carrying its whole text (its source is then gone).
    #[must_use]
    pub fn context(self, context: impl fmt::Display) -> Error {
        let with = |m: String| format!("{context}: {m}");
        match self {
            Error::Unavailable(m) => Error::Unavailable(with(m)),
            Error::Refused(m) => Error::Refused(with(m)),
            Error::Invalid(m) => Error::Invalid(with(m)),
            Error::Process(m) => Error::Process(with(m)),
            Error::Exchange(m) => Error::Exchange(with(m)),
            Error::Disagreement(m) => Error::Disagreement(with(m)),
            Error::Io { doing, path, source } => Error::Process(format!("{context}: {doing} {}: {source}", path.display())),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unavailable(m)
            | Error::Refused(m)
            | Error::Invalid(m)
            | Error::Process(m)
            | Error::Exchange(m)
            | Error::Disagreement(m) => f.write_str(m),
            Error::Io { doing, path, source } => write!(f, "{doing} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Unavailable(_)
            | Error::Refused(_)
            | Error::Invalid(_)
            | Error::Process(_)
            | Error::Exchange(_)
            | Error::Disagreement(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_message() {
        let e = Error::Unavailable("go not found".into()).context("the Go driver");
        assert!(matches!(&e, Error::Unavailable(m) if m == "the Go driver: go not found"), "{e:?}");
        let io = Error::io("reading", "a/b.toml", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(io.to_string(), "reading a/b.toml: entity not found");
        assert!(std::error::Error::source(&io).is_some());
        assert_eq!(io.context("fixtures").to_string(), "fixtures: reading a/b.toml: entity not found");
    }
}
