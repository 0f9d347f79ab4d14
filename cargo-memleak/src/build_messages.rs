//! Running a cargo build and reading its JSON messages (`cargo_metadata::Message`): the
//! artifacts it built, and rustc's diagnostics, which cargo-memleak prints itself so that
//! it can recognize the mistakes it knows how to explain (two global allocators).

use std::io::BufReader;
use std::process::Stdio;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::{Artifact, CompilerMessage, Message};

use crate::process::{ProcessBuilder, describe_status};
use crate::term;

/// The `--message-format` cargo-memleak builds with: artifacts and rustc's diagnostics as
/// JSON on stdout, each diagnostic with its rendered text (colours included, stripped
/// when they are not wanted).
pub(crate) const MESSAGE_FORMAT: &str = "--message-format=json-diagnostic-rendered-ansi";

/// What rustc says when a program ends up with two `#[global_allocator]`s.
const ALLOCATOR_CONFLICT: &str = "conflicts with global allocator in:";

/// A crate whose `#[global_allocator]` collides with another crate's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Conflict {
    /// The target rustc was compiling (`binary two`, `test it`), and its source.
    target: String,
    src_path: String,
    /// The crate that already has one, as rustc names it.
    other: String,
}

/// Runs `cargo` (built with [`MESSAGE_FORMAT`]) and returns the artifacts it built.
/// Cargo's progress goes to stderr as usual; rustc's diagnostics are printed there too.
/// `what` names the command in the error when it fails.
pub(crate) fn build_artifacts(cargo: &ProcessBuilder, what: &str) -> Result<Vec<Artifact>> {
    let mut child = cargo
        .command()
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("failed to start `{cargo}`"))?;
    let stdout = child
        .stdout
        .take()
        .context("cargo's stdout was not captured")?;
    let mut artifacts = Vec::new();
    let mut conflict = None;
    for message in Message::parse_stream(BufReader::new(stdout)) {
        match message.context("failed to read cargo's messages")? {
            Message::CompilerArtifact(artifact) => artifacts.push(artifact),
            Message::CompilerMessage(compiler) => {
                if let Some(rendered) = &compiler.message.rendered {
                    term::say_rendered(rendered);
                }
                if conflict.is_none() {
                    conflict = allocator_conflict(&compiler);
                }
            }
            Message::TextLine(line) => term::say(line),
            _ => {}
        }
    }
    let status = child.wait().context("failed to wait for cargo")?;
    if !status.success() {
        if let Some(conflict) = &conflict {
            bail!(
                "`{what}` {}\n{}",
                describe_status(status),
                explain(conflict)
            );
        }
        bail!("`{what}` {}", describe_status(status));
    }
    Ok(artifacts)
}

/// The conflict rustc's message reports, if it is "conflicts with global allocator in".
fn allocator_conflict(compiler: &CompilerMessage) -> Option<Conflict> {
    let (_, other) = compiler.message.message.split_once(ALLOCATOR_CONFLICT)?;
    let target = &compiler.target;
    let kind = match target.kind.first().map(ToString::to_string) {
        Some(kind) if kind == "bin" => "binary".to_owned(),
        Some(kind) => kind,
        None => "target".to_owned(),
    };
    Some(Conflict {
        target: format!("{kind} `{}`", target.name),
        src_path: target.src_path.to_string(),
        other: other.trim().to_owned(),
    })
}

/// What to do about two global allocators.
fn explain(conflict: &Conflict) -> String {
    format!(
        "help: {} ({}) and the crate `{}` both declare a `#[global_allocator]` under cfg(memleak), \
         and a program has one: keep the library's (it covers the binaries, tests and \
         examples that use the library) and remove the one in {}",
        conflict.target, conflict.src_path, conflict.other, conflict.src_path
    )
}

/// An artifact message as cargo writes it, from the fields a test cares about: `fields`
/// (`package_id`, `executable`, `manifest_path`, `profile.test`, and `target` with `kind`,
/// `crate_types`, `name`, `src_path`) over defaults for the rest.
#[cfg(test)]
pub(crate) fn test_artifact(fields: &serde_json::Value) -> Artifact {
    let mut message = serde_json::json!({
        "reason": "compiler-artifact", "package_id": "path+file:///w/app#0.1.0",
        "manifest_path": "/w/app/Cargo.toml",
        "target": {"kind": ["bin"], "crate_types": ["bin"], "name": "app",
                   "src_path": "/w/app/src/main.rs", "edition": "2024", "doc": true,
                   "doctest": false, "test": true},
        "profile": {"opt_level": "0", "debuginfo": 2, "debug_assertions": true,
                    "overflow_checks": true, "test": false},
        "features": [], "filenames": [], "executable": null, "fresh": false
    });
    for (key, value) in fields.as_object().expect("an object") {
        match (key.as_str(), value) {
            ("target", serde_json::Value::Object(target)) => {
                for (field, value) in target {
                    message["target"][field] = value.clone();
                }
            }
            ("test", value) => message["profile"]["test"] = value.clone(),
            _ => message[key] = value.clone(),
        }
    }
    match serde_json::from_value(message) {
        Ok(Message::CompilerArtifact(artifact)) => artifact,
        other => panic!("not an artifact: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allocator_conflict_is_explained() {
        let line = r#"{"reason":"compiler-message","package_id":"path+file:///tmp/conf#0.1.0","manifest_path":"/tmp/conf/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"conf","src_path":"/tmp/conf/src/main.rs","edition":"2024","doc":true,"doctest":false,"test":true},"message":{"$message_type":"diagnostic","message":"the `#[global_allocator]` in this crate conflicts with global allocator in: conf","code":null,"level":"error","spans":[],"children":[],"rendered":"error: the `#[global_allocator]` in this crate conflicts with global allocator in: conf\n\n"}}"#;
        let Some(Ok(Message::CompilerMessage(message))) =
            Message::parse_stream(line.as_bytes()).next()
        else {
            panic!("not a compiler message");
        };
        let help = explain(&allocator_conflict(&message).expect("a conflict"));
        assert_eq!(
            help,
            "help: binary `conf` (/tmp/conf/src/main.rs) and the crate `conf` both declare a `#[global_allocator]` \
             under cfg(memleak), and a program has one: keep the library's (it covers the \
             binaries, tests and examples that use the library) and remove the one in \
             /tmp/conf/src/main.rs"
        );
    }
}
