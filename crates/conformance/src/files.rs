//! `BadFile`: a file the user gave (a baseline, the known-differences list) that cannot be
//! used, with which file it is and what is wrong with it.

/// A file that could not be used: `baseline.json: not valid JSON (line 3, column 1): ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFile {
    /// The file as the user named it.
    pub file: String,
    /// What is wrong, in one sentence.
    pub problem: String,
}

impl BadFile {
    /// `file` has `problem`.
    pub fn new(file: impl Into<String>, problem: impl Into<String>) -> BadFile {
        BadFile {
            file: file.into(),
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for BadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

impl std::error::Error for BadFile {}

impl From<BadFile> for crate::Error {
    fn from(b: BadFile) -> crate::Error {
        crate::Error::Invalid(b.to_string())
    }
}
