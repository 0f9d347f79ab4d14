//! The data the HTML report's page draws from, as JSON: the report's figures, its stacks
//! stored once (frames and stacks as tables; every other part refers to them by index),
//! the flamegraphs' samples, the timeline with each checkpoint's biggest stacks, and the
//! sites. The page's script (`script/`) reads:
//!
//! - `title`, `program` (`exe`, `args`, `exit_code`, `exit_signal`, `build`, `mode`,
//!   `elapsed_ns`), `verdict` (`has_leaks`, `leaked_bytes`, `leaked_blocks`, `sampled`,
//!   `message`);
//! - `summary`: `[{key, label, bytes, blocks}]` in display order;
//! - `frames`: `[{function, location}]`; `stacks`: lists of frame indices, innermost
//!   first;
//! - `flamegraphs`: `[{id, title, samples: [[stack, bytes]]}]`;
//! - `layers`: `{at_peak, at_exit}`, each as in report.json or `null`;
//! - `timeline`: `null` or `{samples: [{t_ns, kind, live_bytes, layers}], checkpoints:
//!   [{t_ns, total_bytes, top: [[stack, bytes]]}]}`;
//! - `sites`: `[{kind, origin, bytes, blocks, stack}]`, biggest first; `growth`:
//!   `[{stack, bytes_per_sec, live_bytes}]`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::memory::layers::Layers;
use crate::model::{Amount, SiteKind};
use crate::profile::loaded::Profile;
use crate::render::format::shorten_path;
use crate::render::json::memory::WireLayers;
use crate::render::svg::layers::folded_layers;
use crate::report::model::Report;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::analyse_site;

/// The data's format and version: what a script reading a page's data can check.
pub(crate) const HTML_DATA_FORMAT: &str = "memleak-html";
const HTML_DATA_VERSION: u64 = 1;

/// How many stacks each checkpoint lists: the page shows the biggest at a moment, and a
/// profile may have 100,000 sites at each of its checkpoints.
const CHECKPOINT_TOP: usize = 20;

/// Frames and stacks, each stored once.
#[derive(Default)]
struct Stacks {
    frames: Vec<Value>,
    frame_index: HashMap<(String, Option<String>), usize>,
    /// Each stack entry's frame: a profile of 100,000 sites repeats a few thousand
    /// entries a million times, whose locations need not be written out each time.
    entry_index: HashMap<StackEntry, usize>,
    stacks: Vec<Vec<usize>>,
    stack_index: HashMap<Vec<usize>, usize>,
}

impl Stacks {
    /// The index of a stack (innermost first), added if new.
    fn stack(&mut self, entries: &[StackEntry], cwd: Option<&Path>) -> usize {
        let frames: Vec<usize> = entries
            .iter()
            .map(|entry| match self.entry_index.get(entry) {
                Some(&frame) => frame,
                None => {
                    let frame = self.frame(&entry.function, location(entry, cwd));
                    self.entry_index.insert(entry.clone(), frame);
                    frame
                }
            })
            .collect();
        self.intern(frames)
    }

    /// The index of a stack of names alone (the layers' synthetic frames), given
    /// outermost first as folded stacks are.
    fn named(&mut self, outermost_first: &str) -> usize {
        let frames: Vec<usize> = outermost_first
            .split(';')
            .rev()
            .map(|name| self.frame(name, None))
            .collect();
        self.intern(frames)
    }

    fn frame(&mut self, function: &str, location: Option<String>) -> usize {
        let key = (function.to_owned(), location);
        if let Some(&index) = self.frame_index.get(&key) {
            return index;
        }
        let index = self.frames.len();
        self.frames
            .push(json!({"function": key.0, "location": key.1}));
        self.frame_index.insert(key, index);
        index
    }

    fn intern(&mut self, frames: Vec<usize>) -> usize {
        if let Some(&index) = self.stack_index.get(&frames) {
            return index;
        }
        let index = self.stacks.len();
        self.stacks.push(frames.clone());
        self.stack_index.insert(frames, index);
        index
    }
}

/// `file:line`, shortened as the text report shortens it; `None` without a file.
fn location(entry: &StackEntry, cwd: Option<&Path>) -> Option<String> {
    let file = shorten_path(entry.file.as_deref()?, cwd);
    Some(match entry.line {
        Some(line) => format!("{file}:{line}"),
        None => file,
    })
}

/// The page's data for `report`, built from `profile` (paths shortened against `cwd`).
pub(crate) fn page_data(profile: &Profile, report: &Report, cwd: Option<&Path>) -> Value {
    let mut stacks = Stacks::default();
    // Each profile site's trimmed stack, for the per-site counters and the checkpoints.
    let mut site_stacks: HashMap<u64, usize> = HashMap::new();
    for site in profile.sites() {
        let stack = stacks.stack(&analyse_site(profile, site).stack, cwd);
        site_stacks.insert(site.id, stack);
    }
    // Each report site's stack, for the table and the flamegraphs.
    let report_stacks: Vec<usize> = report
        .sites()
        .iter()
        .map(|site| stacks.stack(&site.stack, cwd))
        .collect();
    let sites: Vec<Value> = report
        .sites()
        .iter()
        .zip(&report_stacks)
        .map(|(site, &stack)| {
            json!({
                "kind": site.kind.as_str(),
                "origin": site.origin.name(),
                "bytes": site.bytes,
                "blocks": site.blocks,
                "stack": stack,
            })
        })
        .collect();
    let flamegraphs = flamegraphs(profile, report, &mut stacks, &report_stacks, &site_stacks);
    let timeline = timeline(profile, report, &site_stacks);
    let growth: Vec<Value> = report
        .growth()
        .iter()
        .map(|growing| {
            json!({
                "stack": stacks.stack(&growing.stack, cwd),
                "bytes_per_sec": growing.bytes_per_sec,
                "live_bytes": growing.live_bytes,
            })
        })
        .collect();
    let program = report.program();
    let layers = report.layers();
    json!({
        "format": HTML_DATA_FORMAT,
        "version": HTML_DATA_VERSION,
        "title": program.name(),
        "program": {
            "exe": program.exe,
            "args": program.args,
            "exit_code": program.exit_code,
            "exit_signal": program.exit_signal,
            "build": program.build(),
            "mode": report.mode().name(),
            "elapsed_ns": report.elapsed_ns(),
        },
        "verdict": verdict(report),
        "summary": summary(report),
        "frames": stacks.frames,
        "stacks": stacks.stacks,
        "flamegraphs": flamegraphs,
        "layers": {
            "at_peak": layers.at_peak.as_ref().map(layers_json),
            "at_exit": layers.at_exit.as_ref().map(layers_json),
        },
        "timeline": timeline,
        "sites": sites,
        "growth": growth,
    })
}

/// The layers of a moment, as report.json has them.
fn layers_json(layers: &Layers) -> Value {
    serde_json::to_value(WireLayers::from(layers)).unwrap_or(Value::Null)
}

/// Leaks or none, in a sentence as `cargo memleak run` ends with.
fn verdict(report: &Report) -> Value {
    let (bytes, blocks) = (report.leaked_bytes(), report.leaked_blocks());
    let sampled = report.sampling().is_some();
    let message = if report.has_leaks() {
        let plural = if blocks == 1 { "" } else { "s" };
        format!("leaks found: {bytes} bytes in {blocks} block{plural}")
    } else if sampled {
        "sampled: nothing is called a leak, the figures are estimates".to_owned()
    } else {
        "no leaks".to_owned()
    };
    json!({
        "has_leaks": report.has_leaks(),
        "leaked_bytes": bytes,
        "leaked_blocks": blocks,
        "sampled": sampled,
        "message": message,
    })
}

/// The key numbers, in the order the page shows them; the scan's kinds only with a scan.
fn summary(report: &Report) -> Vec<Value> {
    let summary = report.summary();
    let mut entries: Vec<(&str, &str, Amount)> = Vec::new();
    if report.reachability().is_some() {
        entries.extend([
            ("definite", "Definitely lost", summary.definite),
            ("indirect", "Indirectly lost", summary.indirect),
            ("reachable", "Still reachable", summary.reachable),
        ]);
    }
    entries.extend([
        ("runtime", "Rust runtime", summary.runtime),
        ("live_at_exit", "Live at exit", summary.live_at_exit),
        ("peak_live", "Peak live", summary.peak_live),
        (
            "total_allocated",
            "Allocated over the run",
            summary.total_allocated,
        ),
        ("suppressed", "Suppressed", summary.suppressed),
    ]);
    entries
        .into_iter()
        .map(|(key, label, amount)| {
            json!({"key": key, "label": label, "bytes": amount.bytes, "blocks": amount.blocks})
        })
        .collect()
}

/// The flamegraphs: leaks, live at exit, live at the heap's biggest checkpoint,
/// allocated over the run, and the resident memory by layer.
fn flamegraphs(
    profile: &Profile,
    report: &Report,
    stacks: &mut Stacks,
    report_stacks: &[usize],
    site_stacks: &HashMap<u64, usize>,
) -> Vec<Value> {
    let mut graphs = Vec::new();
    let by_kind = |keep: &dyn Fn(SiteKind) -> bool| -> Vec<(usize, u64)> {
        report
            .sites()
            .iter()
            .zip(report_stacks)
            .filter(|(site, _)| keep(site.kind) && site.bytes > 0)
            .map(|(site, &stack)| (stack, site.bytes))
            .collect()
    };
    // The leaks by kind: with the exit scan, definite and indirect apart (an indirect
    // block hangs off another lost one, and is fixed with it); without, live at exit.
    let leak_kinds = [
        (SiteKind::Definite, "definite", "Definitely lost"),
        (SiteKind::Indirect, "indirect", "Indirectly lost"),
        (SiteKind::LiveAtExit, "leaks", "Leaked"),
    ];
    for (kind, id, title) in leak_kinds {
        if report.has_leaks() && report.amount_of(kind).bytes > 0 {
            let leaks = by_kind(&|site_kind| site_kind == kind);
            graphs.push(graph(id, title, &leaks));
        }
    }
    let live = by_kind(&|kind| kind != SiteKind::Runtime);
    graphs.push(graph("live", "Live at exit", &live));
    if let Some(checkpoint) = profile.timeline().and_then(|timeline| {
        timeline.checkpoints.iter().max_by_key(|checkpoint| {
            checkpoint
                .sites
                .iter()
                .map(|&(_, bytes)| bytes)
                .sum::<u64>()
        })
    }) {
        let peak: Vec<(usize, u64)> = checkpoint
            .sites
            .iter()
            .filter_map(|&(site, bytes)| Some((*site_stacks.get(&site)?, bytes)))
            .collect();
        let title = format!(
            "Live at the biggest checkpoint ({:.1} ms)",
            checkpoint.t_ns as f64 / 1e6
        );
        graphs.push(graph("peak", &title, &peak));
    }
    let allocated: Vec<(usize, u64)> = profile
        .sites()
        .iter()
        .filter_map(|site| Some((*site_stacks.get(&site.id)?, site.allocated_bytes)))
        .collect();
    graphs.push(graph("allocated", "Allocated over the run", &allocated));
    if let Some(exit) = &report.layers().at_exit {
        let layers: Vec<(usize, u64)> = folded_layers(report, exit)
            .iter()
            .map(|(stack, &bytes)| (stacks.named(stack), bytes))
            .collect();
        graphs.push(graph("layers", "Resident memory by layer", &layers));
    }
    graphs
}

/// One flamegraph: its samples with equal stacks summed, nothing empty.
fn graph(id: &str, title: &str, samples: &[(usize, u64)]) -> Value {
    let mut summed: Vec<(usize, u64)> = Vec::new();
    let mut at: HashMap<usize, usize> = HashMap::new();
    for &(stack, bytes) in samples.iter().filter(|&&(_, bytes)| bytes > 0) {
        let index = *at.entry(stack).or_insert_with(|| {
            summed.push((stack, 0));
            summed.len() - 1
        });
        summed[index].1 = summed[index].1.saturating_add(bytes);
    }
    json!({"id": id, "title": title, "samples": summed})
}

/// The samples with their layers, and each checkpoint's total and biggest stacks;
/// `null` without a timeline.
fn timeline(profile: &Profile, report: &Report, site_stacks: &HashMap<u64, usize>) -> Value {
    let Some(timeline) = profile.timeline() else {
        return Value::Null;
    };
    let samples: Vec<Value> = report
        .samples()
        .iter()
        .zip(report.sample_layers())
        .map(|(sample, layers)| {
            json!({
                "t_ns": sample.t_ns,
                "kind": sample.kind.as_str(),
                "live_bytes": sample.live_bytes,
                "layers": layers_json(layers),
            })
        })
        .collect();
    let checkpoints: Vec<Value> = timeline
        .checkpoints
        .iter()
        .map(|checkpoint| {
            let mut by_stack: HashMap<usize, u64> = HashMap::new();
            for &(site, bytes) in &checkpoint.sites {
                if let Some(&stack) = site_stacks.get(&site) {
                    *by_stack.entry(stack).or_default() += bytes;
                }
            }
            let total: u64 = by_stack.values().sum();
            let mut top: Vec<(usize, u64)> = by_stack.into_iter().collect();
            top.sort_by_key(|&(stack, bytes)| (std::cmp::Reverse(bytes), stack));
            top.truncate(CHECKPOINT_TOP);
            json!({"t_ns": checkpoint.t_ns, "total_bytes": total, "top": top})
        })
        .collect();
    json!({"samples": samples, "checkpoints": checkpoints})
}
