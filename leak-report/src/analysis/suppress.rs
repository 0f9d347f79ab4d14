//! Suppressions: the `[[suppress]]` entries of `memleak.toml`, which hide live memory the
//! program keeps on purpose.
//!
//! ```toml
//! [[suppress]]
//! function = "my_crate::cache::*"   # glob, matched against every function of the stack
//! kind = "definite"                 # optional: definite | indirect | reachable
//! reason = "intentional global"     # optional, shown in the report
//! ```
//!
//! `function` is a glob over a whole function name: `*` matches any run of characters
//! (`::` included), `?` any one character, everything else itself. It is matched against
//! every function of a site's full stack, untrimmed: every inlined function of every
//! frame, demangled without the hash, as in the profile. A block is hidden by the first
//! suppression, in file order, whose glob matches a function of its stack and whose kind,
//! if given, is the block's.

use std::fs;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use memleak_format::glob_matches;

use crate::error::Error;
use crate::model::SiteKind;
use crate::profile::loaded::{Profile, Site};

/// One `[[suppress]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Suppression {
    /// The glob matched against function names.
    pub function: String,
    /// Only blocks of this kind are hidden; `None` for any kind.
    pub kind: Option<SiteKind>,
    /// Why, as the file says.
    pub reason: Option<String>,
    /// The line of the entry's `[[suppress]]` (1-based).
    pub line: usize,
}

/// The suppressions of a `memleak.toml`; [`Default`] is none.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    entries: Vec<Suppression>,
    /// Each entry's glob, as characters.
    globs: Vec<Vec<char>>,
}

/// The file, as serde reads it: unknown keys are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    suppress: Vec<Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    function: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<String>,
}

/// The kinds a suppression may name.
const KINDS: [SiteKind; 3] = [SiteKind::Definite, SiteKind::Indirect, SiteKind::Reachable];

impl Suppressions {
    /// Reads and parses a suppressions file.
    ///
    /// # Errors
    /// [`Error::SuppressionsIo`] when it cannot be read, else as [`parse`](Self::parse).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = fs::read_to_string(path).map_err(|source| Error::SuppressionsIo {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses suppressions from `text`; `path` names the file in errors.
    ///
    /// # Errors
    /// [`Error::InvalidSuppressions`], with the line, for malformed TOML, an unknown key,
    /// a value of the wrong type, a missing or empty `function`, or a `kind` other than
    /// `definite`, `indirect` or `reachable`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let invalid = |span: Option<Range<usize>>, message: String| Error::InvalidSuppressions {
            path: path.to_owned(),
            line: span.map(|span| line_of(text, span.start)),
            message,
        };
        let file: File =
            toml::from_str(text).map_err(|error| invalid(error.span(), clean(error.message())))?;
        let mut entries = Vec::with_capacity(file.suppress.len());
        for entry in file.suppress {
            let line = line_of(text, entry.span().start);
            let entry = entry.into_inner();
            let function = entry.function;
            if function.get_ref().trim().is_empty() {
                return Err(invalid(
                    Some(function.span()),
                    "`function` is empty: give a function name or a glob such as \
                     `my_crate::cache::*`"
                        .to_owned(),
                ));
            }
            let kind = match entry.kind {
                None => None,
                Some(kind) => Some(
                    KINDS
                        .into_iter()
                        .find(|known| known.as_str() == kind.get_ref())
                        .ok_or_else(|| {
                            invalid(
                                Some(kind.span()),
                                format!(
                                    "unknown kind `{}`: expected `definite`, `indirect` or \
                                     `reachable`",
                                    kind.get_ref()
                                ),
                            )
                        })?,
                ),
            };
            entries.push(Suppression {
                function: function.into_inner(),
                kind,
                reason: entry.reason,
                line,
            });
        }
        let globs = entries
            .iter()
            .map(|entry| entry.function.chars().collect())
            .collect();
        Ok(Self { entries, globs })
    }

    /// The suppressions, in file order.
    #[must_use]
    pub fn entries(&self) -> &[Suppression] {
        &self.entries
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The suppressions (indices into [`entries`](Self::entries)) whose glob matches a
    /// function of `site`'s full stack, in file order.
    pub(crate) fn matching(&self, profile: &Profile, site: &Site) -> Vec<usize> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let frames = profile.frames();
        let functions: Vec<Vec<char>> = site
            .frames
            .iter()
            .filter_map(|&index| frames.get(usize::try_from(index).ok()?))
            .flat_map(|frame| &frame.symbols)
            .filter_map(|symbol| symbol.function.as_deref())
            .map(|function| function.chars().collect())
            .collect();
        (0..self.globs.len())
            .filter(|&index| {
                functions
                    .iter()
                    .any(|function| glob_matches(&self.globs[index], function))
            })
            .collect()
    }

    /// The first of `matching` (from [`matching`](Self::matching)) that applies to a
    /// block of `kind`.
    pub(crate) fn first(&self, matching: &[usize], kind: SiteKind) -> Option<usize> {
        matching.iter().copied().find(|&index| {
            self.entries
                .get(index)
                .is_some_and(|entry| entry.kind.is_none_or(|only| only == kind))
        })
    }
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

/// toml's message on one line, without a trailing period.
fn clean(message: &str) -> String {
    let joined = message.split_whitespace().collect::<Vec<_>>().join(" ");
    joined.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        glob_matches(&chars(pattern), &chars(text))
    }

    fn parse(text: &str) -> Result<Suppressions, Error> {
        Suppressions::parse(Path::new("/proj/memleak.toml"), text)
    }

    /// The line and message of a rejected file.
    fn rejected(text: &str) -> (Option<usize>, String) {
        let error = parse(text).unwrap_err();
        let display = error.to_string();
        assert!(
            display.starts_with("suppressions file /proj/memleak.toml is invalid"),
            "{display}"
        );
        assert!(!display.ends_with('.'), "{display}");
        match error {
            Error::InvalidSuppressions { line, message, .. } => (line, message),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn globs() {
        assert!(glob("my_crate::cache::*", "my_crate::cache::Cache::insert"));
        assert!(glob("my_crate::cache::*", "my_crate::cache::"));
        assert!(!glob("my_crate::cache::*", "my_crate::cached"));
        assert!(!glob("my_crate::cache::*", "<my_crate::cache::Cache>::new"));
        assert!(glob("*my_crate::cache::*", "<my_crate::cache::Cache>::new"));
        assert!(glob("app::f?o", "app::foo") && glob("app::f?o", "app::fßo"));
        assert!(!glob("app::f?o", "app::fo") && !glob("app::f?o", "app::fooo"));
        assert!(glob("*", "") && glob("*", "anything"));
        assert!(glob("a*b*c", "a__b__b__c") && !glob("a*b*c", "a__c__b"));
        assert!(glob("exact", "exact") && !glob("exact", "exact2") && !glob("exact", "exac"));
        assert!(glob("**x**", "x") && glob("*::new", "alloc::vec::Vec<T>::new"));
    }

    #[test]
    fn a_full_file() {
        let suppressions = parse(
            "# known\n\n[[suppress]]\nfunction = \"my_crate::cache::*\"\nkind = \"definite\"\n\
             reason = \"intentional global\"\n\n[[suppress]]\nfunction = \"app::pool?\"\n",
        )
        .unwrap();
        assert_eq!(
            suppressions.entries(),
            [
                Suppression {
                    function: "my_crate::cache::*".to_owned(),
                    kind: Some(SiteKind::Definite),
                    reason: Some("intentional global".to_owned()),
                    line: 3,
                },
                Suppression {
                    function: "app::pool?".to_owned(),
                    kind: None,
                    reason: None,
                    line: 8,
                }
            ]
        );
        assert!(parse("").unwrap().is_empty());
        assert!(parse("suppress = []").unwrap().is_empty());
        assert!(Suppressions::default().is_empty());
    }

    #[test]
    fn every_error_names_its_line() {
        let entry = "[[suppress]]\nfunction = \"a::*\"\n";
        let cases: [(String, usize, &str); 9] = [
            (
                format!("{entry}kind = \"leaky\"\n"),
                3,
                "unknown kind `leaky`",
            ),
            (
                format!("{entry}kind = \"live_at_exit\"\n"),
                3,
                "unknown kind `live_at_exit`",
            ),
            (
                format!("{entry}\n[[suppress]]\nfunction = \"\"\n"),
                5,
                "`function` is empty",
            ),
            (
                format!("{entry}\n[[suppress]]\nfunction = \"  \"\n"),
                5,
                "`function` is empty",
            ),
            (
                format!("{entry}functon = \"b\"\n"),
                3,
                "unknown field `functon`",
            ),
            (
                format!("{entry}\n[[suppress]]\nkind = \"definite\"\n"),
                4,
                "missing field `function`",
            ),
            (
                format!("{entry}reason = 3\n"),
                3,
                "invalid type: integer `3`",
            ),
            (format!("{entry}function = \"b\"\n"), 3, "duplicate key"),
            (
                format!("{entry}[suppressions]\n"),
                3,
                "unknown field `suppressions`",
            ),
        ];
        for (text, line, needle) in cases {
            let (at, message) = rejected(&text);
            assert_eq!(at, Some(line), "{text:?}: {message}");
            assert!(message.contains(needle), "{needle:?} not in {message:?}");
        }
        let (at, message) = rejected("[[suppress]]\nfunction = \"a\n");
        assert_eq!(at, Some(2), "{message}");
        let (at, message) = rejected("\n\n[[suppress]\n");
        assert_eq!(at, Some(3), "{message}");
        let (at, message) = rejected("suppress = 7\n");
        assert_eq!(at, Some(1), "{message}");
        let error = parse("[[suppress]]\nfunction = 1\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is invalid at line 2: invalid type: integer `1`, expected a string"),
            "{error}"
        );
    }

    #[test]
    fn unreadable_file() {
        let error = Suppressions::load(Path::new("/nonexistent/memleak.toml")).unwrap_err();
        assert!(matches!(error, Error::SuppressionsIo { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "failed to read suppressions file /nonexistent/memleak.toml"
        );
    }

    #[test]
    fn first_applicable_suppression_wins() {
        let suppressions = parse(
            "[[suppress]]\nfunction = \"a\"\nkind = \"reachable\"\n\
             [[suppress]]\nfunction = \"a\"\n[[suppress]]\nfunction = \"a\"\n",
        )
        .unwrap();
        assert_eq!(suppressions.first(&[0, 1, 2], SiteKind::Reachable), Some(0));
        assert_eq!(suppressions.first(&[0, 1, 2], SiteKind::Definite), Some(1));
        assert_eq!(suppressions.first(&[0], SiteKind::Indirect), None);
        assert_eq!(suppressions.first(&[], SiteKind::Indirect), None);
    }
}
