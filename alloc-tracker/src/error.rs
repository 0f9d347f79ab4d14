//! The setup API's error: small, hand-written, no dependencies.

use std::fmt;
use std::path::PathBuf;

/// Why a profile could not be written.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// The calling thread is inside the tracker (e.g. a hook that writes a profile).
    Reentrant,
    /// This process is a forked child, which does not record.
    ForkedChild,
    /// Writing or renaming the file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn reentrant() -> Self {
        Self {
            kind: Kind::Reentrant,
        }
    }

    pub(crate) fn forked_child() -> Self {
        Self {
            kind: Kind::ForkedChild,
        }
    }

    pub(crate) fn io(path: PathBuf, source: std::io::Error) -> Self {
        Self {
            kind: Kind::Io { path, source },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Reentrant => f.pad("memleak: cannot write a profile from inside the allocator"),
            Kind::ForkedChild => {
                f.pad("memleak: a forked child records nothing and writes no profile")
            }
            Kind::Io { path, source } => {
                write!(
                    f,
                    "memleak: failed to write profile {}: {source}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Reentrant | Kind::ForkedChild => None,
            Kind::Io { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path_and_cause() {
        let error = Error::io(
            PathBuf::from("/nope/profile.json"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        );
        let text = error.to_string();
        assert!(
            text.contains("/nope/profile.json") && text.contains("no such directory"),
            "{text}"
        );
        assert!(std::error::Error::source(&error).is_some());
    }
}
