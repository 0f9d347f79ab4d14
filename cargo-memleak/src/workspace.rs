//! The workspace, from `cargo metadata`: the target directory, the members and their
//! executables; and which target to run when none is named, as `cargo run` picks it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, Result, bail, ensure};
use cargo_metadata::CrateType;

use crate::env::cargo_program;
use crate::process::{ProcessBuilder, describe_status};

/// The workspace, as `cargo metadata --no-deps` describes it.
#[derive(Debug)]
pub(crate) struct Metadata {
    pub(crate) target_directory: PathBuf,
    /// Where `memleak.toml` is looked for.
    pub(crate) workspace_root: PathBuf,
    pub(crate) packages: Vec<Package>,
    /// Ids of the packages `cargo run` picks from at the root of a virtual workspace.
    pub(crate) default_members: Vec<String>,
}

/// A workspace member.
#[derive(Debug)]
pub(crate) struct Package {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) manifest_path: PathBuf,
    pub(crate) default_run: Option<String>,
    /// Its executable targets: the bins, and the examples of crate type `bin`.
    pub(crate) targets: Vec<Target>,
    /// Its library's root source file (`src/lib.rs`), when it has a library.
    pub(crate) lib_src: Option<PathBuf>,
    /// Whether it depends on the tracker crate, `memleak` (on any platform or cfg).
    pub(crate) depends_on_tracker: bool,
}

/// The two kinds of target `cargo memleak run` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bin,
    Example,
}

impl Kind {
    /// The cargo option that names one.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Kind::Bin => "--bin",
            Kind::Example => "--example",
        }
    }

    /// For messages: "binary", "example".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Bin => "binary",
            Kind::Example => "example",
        }
    }
}

/// An executable target of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) src_path: PathBuf,
}

/// Runs `cargo metadata --format-version 1 --no-deps` in the current directory, or for
/// the workspace of `manifest_path`.
pub(crate) fn metadata(manifest_path: Option<&Path>) -> Result<Metadata> {
    let mut cargo = ProcessBuilder::new(cargo_program());
    cargo.args(["metadata", "--format-version", "1", "--no-deps"]);
    if let Some(manifest_path) = manifest_path {
        cargo.arg("--manifest-path").arg(manifest_path);
    }
    // cargo's own error (say, no Cargo.toml here) goes straight to stderr.
    let output = cargo
        .command()
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("failed to start `{cargo}`"))?;
    ensure!(
        output.status.success(),
        "`{cargo}` {}",
        describe_status(output.status)
    );
    let json =
        String::from_utf8(output.stdout).context("`cargo metadata` printed invalid UTF-8")?;
    parse_metadata(&json).context("failed to understand `cargo metadata`'s output")
}

fn parse_metadata(json: &str) -> Result<Metadata> {
    let meta: cargo_metadata::Metadata = serde_json::from_str(json)?;
    let default_members = if meta.workspace_default_members.is_available() {
        meta.workspace_default_members.to_vec()
    } else {
        meta.workspace_members.clone()
    };
    Ok(Metadata {
        target_directory: meta.target_directory.into_std_path_buf(),
        workspace_root: meta.workspace_root.into_std_path_buf(),
        packages: meta.packages.iter().map(package).collect(),
        default_members: default_members.into_iter().map(|id| id.repr).collect(),
    })
}

fn package(package: &cargo_metadata::Package) -> Package {
    let mut executables = Vec::new();
    let mut lib_src = None;
    for target in &package.targets {
        let kind = if target.is_bin() {
            Kind::Bin
        } else if target.is_example() && target.crate_types.contains(&CrateType::Bin) {
            Kind::Example
        } else {
            if target.is_lib() || target.is_rlib() || target.is_dylib() {
                lib_src = Some(target.src_path.clone().into_std_path_buf());
            }
            continue;
        };
        executables.push(Target {
            kind,
            name: target.name.clone(),
            src_path: target.src_path.clone().into_std_path_buf(),
        });
    }
    Package {
        id: package.id.repr.clone(),
        name: package.name.to_string(),
        manifest_path: package.manifest_path.clone().into_std_path_buf(),
        default_run: package.default_run.clone(),
        targets: executables,
        lib_src,
        depends_on_tracker: package.dependencies.iter().any(|d| d.name == "memleak"),
    }
}

impl Metadata {
    /// The package with this id.
    pub(crate) fn package(&self, id: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.id == id)
    }

    /// The innermost package whose directory holds `dir`: the one `cargo run` uses there.
    fn package_at(&self, dir: &Path) -> Option<&Package> {
        self.packages
            .iter()
            .filter(|p| p.manifest_path.parent().is_some_and(|d| dir.starts_with(d)))
            .max_by_key(|p| p.manifest_path.components().count())
    }

    /// The packages `-p SPEC` may mean (by name; `name@version` is matched on the name).
    fn packages_named(&self, spec: &str) -> Result<Vec<&Package>> {
        let name = spec.split('@').next().unwrap_or(spec);
        let found: Vec<&Package> = self.packages.iter().filter(|p| p.name == name).collect();
        if found.is_empty() {
            let names: Vec<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
            bail!(
                "package `{spec}` is not in the workspace (members: {})",
                names.join(", ")
            );
        }
        Ok(found)
    }
}

/// The executable target to build and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// `-p`: the user's, or the package of the binary picked for them.
    pub(crate) package: Option<String>,
}

impl Selection {
    /// What `cargo run` would run: the `--bin` or `--example` given (which must exist in
    /// the workspace), else the package's `default-run` or single binary. `cwd` picks the
    /// package when `-p` is not given; at a virtual root, the default members.
    pub(crate) fn resolve(
        meta: &Metadata,
        cwd: &Path,
        package: Option<&str>,
        named: Option<(Kind, &str)>,
    ) -> Result<Self> {
        let candidates: Vec<&Package> = match package {
            Some(spec) => meta.packages_named(spec)?,
            None => match meta.package_at(cwd) {
                Some(package) => vec![package],
                None => meta
                    .packages
                    .iter()
                    .filter(|p| meta.default_members.contains(&p.id))
                    .collect(),
            },
        };
        let package = package.map(str::to_owned);
        if let Some((kind, name)) = named {
            // Look through the whole workspace unless -p narrows it: cargo has the final say.
            let scope: Vec<&Package> = if package.is_some() {
                candidates
            } else {
                meta.packages.iter().collect()
            };
            let owners: Vec<&&Package> = scope
                .iter()
                .filter(|p| p.targets.iter().any(|t| t.kind == kind && t.name == name))
                .collect();
            ensure!(
                !owners.is_empty(),
                "no {} named `{name}`{}",
                kind.noun(),
                available(&scope)
            );
            // Name the package: from another package's directory, cargo looks for the
            // target in that package only ("no example target named ... in default-run
            // packages").
            let package = match (package, &owners[..]) {
                (Some(package), _) => Some(package),
                (None, [owner]) => Some(owner.name.clone()),
                (None, _) => {
                    let names: Vec<&str> = owners.iter().map(|p| p.name.as_str()).collect();
                    bail!(
                        "{} `{name}` is in several packages ({}): name one with `-p`",
                        kind.noun(),
                        names.join(", ")
                    );
                }
            };
            return Ok(Self {
                kind,
                name: name.to_owned(),
                package,
            });
        }
        if let [only] = candidates[..]
            && let Some(default_run) = &only.default_run
        {
            return Ok(Self {
                kind: Kind::Bin,
                name: default_run.clone(),
                package: Some(only.name.clone()),
            });
        }
        let bins: Vec<(&Package, &Target)> = candidates
            .iter()
            .flat_map(|p| {
                p.targets
                    .iter()
                    .filter(|t| t.kind == Kind::Bin)
                    .map(move |t| (*p, t))
            })
            .collect();
        match bins[..] {
            [(package, bin)] => Ok(Self {
                kind: Kind::Bin,
                name: bin.name.clone(),
                package: Some(package.name.clone()),
            }),
            [] => bail!(
                "no binary to run: use `--example NAME`{}",
                available(&candidates)
            ),
            _ => bail!(
                "could not determine which binary to run: use `--bin NAME` or `--example NAME`{}",
                available(&candidates)
            ),
        }
    }
}

/// "\navailable binaries: a, b\navailable examples: c", for the targets of `packages`.
fn available(packages: &[&Package]) -> String {
    let mut text = String::new();
    for (kind, label) in [(Kind::Bin, "binaries"), (Kind::Example, "examples")] {
        let mut names: Vec<&str> = packages
            .iter()
            .flat_map(|p| &p.targets)
            .filter(|t| t.kind == kind)
            .map(|t| t.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let list = if names.is_empty() {
            "(none)".to_owned()
        } else {
            names.join(", ")
        };
        text.push_str(&format!("\navailable {label}: {list}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target as `cargo metadata` describes it.
    fn target(kind: &str, crate_type: &str, name: &str, src_path: &str) -> serde_json::Value {
        serde_json::json!({"kind": [kind], "crate_types": [crate_type], "name": name,
                           "src_path": src_path, "edition": "2024", "doc": true,
                           "doctest": false, "test": true})
    }

    /// A workspace member as `cargo metadata --no-deps` describes it.
    fn member(
        name: &str,
        default_run: Option<&str>,
        tracker: bool,
        targets: Vec<serde_json::Value>,
    ) -> serde_json::Value {
        let dependencies = if tracker {
            serde_json::json!([{"name": "memleak", "source": null, "req": "*", "kind": null,
                                "rename": null, "optional": false, "uses_default_features": true,
                                "features": [], "target": "cfg(memleak)", "registry": null,
                                "path": "/w/alloc-tracker"}])
        } else {
            serde_json::json!([])
        };
        serde_json::json!({
            "name": name, "version": "0.1.0", "id": format!("path+file:///w/{name}#0.1.0"),
            "license": null, "license_file": null, "description": null, "source": null,
            "dependencies": dependencies, "targets": targets, "features": {},
            "manifest_path": format!("/w/{name}/Cargo.toml"), "metadata": null,
            "publish": null, "authors": [], "categories": [], "keywords": [], "readme": null,
            "repository": null, "homepage": null, "documentation": null, "edition": "2024",
            "links": null, "default_run": default_run, "rust_version": null
        })
    }

    fn metadata_json() -> String {
        let multi = vec![
            target("lib", "lib", "multi", "/w/multi/src/lib.rs"),
            target("bin", "bin", "a", "/w/multi/src/bin/a.rs"),
            target("bin", "bin", "b", "/w/multi/src/bin/b.rs"),
            target("example", "bin", "leaky", "/w/multi/examples/leaky.rs"),
            target("example", "cdylib", "plugin", "/w/multi/examples/plugin.rs"),
            target("test", "bin", "it", "/w/multi/tests/it.rs"),
        ];
        let runner = vec![
            target("bin", "bin", "b1", "/w/runner/src/b1.rs"),
            target("bin", "bin", "b2", "/w/runner/src/b2.rs"),
        ];
        serde_json::json!({
            "packages": [
                member("tool", None, false, vec![target("bin", "bin", "tool", "/w/tool/src/main.rs")]),
                member("multi", None, true, multi),
                member("runner", Some("b2"), false, runner),
            ],
            "workspace_members": ["path+file:///w/tool#0.1.0", "path+file:///w/multi#0.1.0",
                                  "path+file:///w/runner#0.1.0"],
            "workspace_default_members": ["path+file:///w/tool#0.1.0"],
            "resolve": null, "target_directory": "/w/target", "build_directory": "/w/target",
            "version": 1, "workspace_root": "/w", "metadata": null
        })
        .to_string()
    }

    #[test]
    fn metadata_keeps_executables_and_the_tracker_dependency() {
        let meta = parse_metadata(&metadata_json()).unwrap();
        assert_eq!(meta.target_directory, Path::new("/w/target"));
        assert_eq!(meta.default_members, ["path+file:///w/tool#0.1.0"]);
        let multi = meta.package("path+file:///w/multi#0.1.0").unwrap();
        let names: Vec<&str> = multi.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "leaky"]);
        assert!(multi.depends_on_tracker);
        assert_eq!(
            multi.lib_src.as_deref(),
            Some(Path::new("/w/multi/src/lib.rs"))
        );
        assert!(!meta.packages[0].depends_on_tracker);
        assert!(parse_metadata("{}").is_err());
    }

    #[test]
    fn selection_behaves_like_cargo_run() {
        let meta = parse_metadata(&metadata_json()).unwrap();
        let resolve =
            |cwd: &str, package, named| Selection::resolve(&meta, Path::new(cwd), package, named);
        let bin = |name: &str, package: &str| Selection {
            kind: Kind::Bin,
            name: name.into(),
            package: Some(package.into()),
        };

        // At the virtual root: the default members' single binary.
        assert_eq!(resolve("/w", None, None).unwrap(), bin("tool", "tool"));
        // In a package's directory: that package.
        assert_eq!(
            resolve("/w/tool/src", None, None).unwrap(),
            bin("tool", "tool")
        );
        assert_eq!(
            resolve("/w/runner", None, None).unwrap(),
            bin("b2", "runner")
        );
        assert_eq!(
            resolve("/w", Some("runner@0.1.0"), None).unwrap(),
            bin("b2", "runner")
        );
        let err = resolve("/w/multi", None, None).unwrap_err().to_string();
        assert_eq!(
            err,
            "could not determine which binary to run: use `--bin NAME` or `--example NAME`\n\
             available binaries: a, b\navailable examples: leaky"
        );
        let err = resolve("/w", Some("nope"), None).unwrap_err().to_string();
        assert_eq!(
            err,
            "package `nope` is not in the workspace (members: tool, multi, runner)"
        );

        // Named targets are checked against the workspace, or the -p package.
        // The package that has it is named, so that cargo finds it from anywhere.
        let leaky = resolve("/w/tool/src", None, Some((Kind::Example, "leaky"))).unwrap();
        assert_eq!(
            leaky,
            Selection {
                kind: Kind::Example,
                name: "leaky".into(),
                package: Some("multi".into())
            }
        );
        let err = resolve("/w", Some("tool"), Some((Kind::Example, "leaky")))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "no example named `leaky`\navailable binaries: tool\navailable examples: (none)"
        );
        assert!(resolve("/w", None, Some((Kind::Example, "plugin"))).is_err());
    }
}
