//! How serde_json's errors, from either pass of parsing a profile (the `load` module),
//! become [`Error`]s: a syntax error or a truncation with its line and column, a missing
//! or mistyped field named by its path (`sites[3].frames[1]`).

use std::path::Path;

use serde_json::error::Category;

use crate::error::Error;

/// Maps a syntax or end-of-file error (from either pass).
pub(crate) fn syntax_error(path: &Path, error: &serde_json::Error) -> Error {
    let (line, column) = (error.line(), error.column());
    if error.is_eof() {
        Error::Truncated {
            path: path.to_owned(),
            line,
            column,
        }
    } else {
        Error::Corrupt {
            path: path.to_owned(),
            message: bare_message(error),
            line,
            column,
        }
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix)
        .map_or_else(|| text.clone(), str::to_owned)
}

/// Maps an error from the typed pass, naming the field.
pub(crate) fn typed_error(
    path: &Path,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> Error {
    let inner = error.inner();
    if inner.classify() != Category::Data {
        return syntax_error(path, inner);
    }
    let at = error.path().to_string();
    let message = bare_message(inner);
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = if at == "." {
            name.to_owned()
        } else {
            format!("{at}.{name}")
        };
        return Error::MissingField {
            path: path.to_owned(),
            field,
        };
    }
    let field = if at == "." {
        "(top level)".to_owned()
    } else {
        at
    };
    Error::InvalidField {
        path: path.to_owned(),
        field,
        message: format!(
            "{message} (line {}, column {})",
            inner.line(),
            inner.column()
        ),
    }
}
