//! The HTML report: one self-contained file (no network: the styles, the script and the
//! data are inside it) that opens from disk. The page is `page.html` with `page.css`;
//! its script is in `script/`, one file per part of the page.

use std::io;
use std::path::Path;

use crate::profile::loaded::Profile;
use crate::render::html::data::page_data;
use crate::report::model::Report;

/// The page, with `{{TITLE}}`, `{{STYLE}}`, `{{SCRIPT}}` and `{{DATA}}` to fill.
const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
/// The page's script, one scope in files by part: the parts share its helpers and data.
const SCRIPT: &str = concat!(
    "// cargo-memleak HTML report: reads the JSON in #memleak-data and draws the summary, the\n",
    "// flamegraphs, the timeline, the table of sites and the growing stacks. Self-contained:\n",
    "// no network, no libraries, works from file://. Everything the data says is put in the\n",
    "// page as text (textContent, attributes), never as markup.\n",
    "'use strict';\n(function () {\n",
    include_str!("script/core.js"),
    include_str!("script/flame.js"),
    include_str!("script/timeline.js"),
    include_str!("script/sites.js"),
    "})();\n",
);

/// Writes the HTML report of `report`, built from `profile`: the summary, the
/// flamegraphs with search and zoom (definitely and indirectly lost, or leaked without a
/// scan; live at exit; at the biggest checkpoint; allocated over the run; resident memory
/// by layer), the timeline with a movable marker that shows the layers and the biggest
/// stacks at each moment, and a sortable table of the sites. Source paths are shown relative to `cwd` when inside it.
///
/// It stays usable for profiles of 100,000 sites: stacks are stored once and referred to
/// by index, checkpoints keep their 20 biggest stacks, the page builds each flamegraph
/// when first shown and skips frames narrower than half a pixel, and the table shows 200
/// rows at a time.
///
/// # Errors
/// Write errors.
pub fn write_html(
    profile: &Profile,
    report: &Report,
    cwd: Option<&Path>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let data = script_safe_json(&page_data(profile, report, cwd).to_string());
    let title = escape_text(&format!("{}: memory report", report.program().name()));
    out.write_all(fill(&title, &data).as_bytes())
}

/// The page with its four parts filled in, in one pass over the template, so that a
/// part's own text is never read as a placeholder.
fn fill(title: &str, data: &str) -> String {
    let mut page = String::with_capacity(PAGE.len() + STYLE.len() + SCRIPT.len() + data.len());
    let mut rest = PAGE;
    while let Some(start) = rest.find("{{") {
        page.push_str(&rest[..start]);
        let after = &rest[start..];
        let filled = [
            ("{{TITLE}}", title),
            ("{{STYLE}}", STYLE),
            ("{{SCRIPT}}", SCRIPT),
            ("{{DATA}}", data),
        ]
        .into_iter()
        .find(|(placeholder, _)| after.starts_with(placeholder));
        match filled {
            Some((placeholder, value)) => {
                page.push_str(value);
                rest = &after[placeholder.len()..];
            }
            None => {
                page.push_str("{{");
                rest = &after[2..];
            }
        }
    }
    page.push_str(rest);
    page
}

/// JSON that cannot end or confuse the `<script>` element it sits in: every `<` (only
/// ever inside strings) becomes `\u003c`, which `JSON.parse` reads back as `<`. Escaping
/// `</` alone is not enough: `<!--<script>` in a string would keep the element open.
fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

/// Text for an HTML element's content.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::render::html::data::HTML_DATA_FORMAT;
    use crate::testing::leaky;

    fn html(profile: &Profile) -> String {
        let report = Report::build(profile, ProgramInfo::from_profile(profile));
        let mut out = Vec::new();
        write_html(profile, &report, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The data element's JSON, parsed back.
    fn data_of(page: &str) -> Value {
        let start = page
            .find("<script id=\"memleak-data\" type=\"application/json\">")
            .unwrap();
        let rest = &page[start..];
        let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn leaky_fills_every_placeholder_and_carries_its_figures() {
        let page = html(&leaky());
        for placeholder in ["{{TITLE}}", "{{STYLE}}", "{{SCRIPT}}", "{{DATA}}"] {
            assert!(!page.contains(placeholder), "{placeholder} left");
        }
        assert!(page.starts_with("<!DOCTYPE html>"));
        // Nothing is fetched: no external script, style, image or font (the SVG
        // namespace's URL is a name, not an address).
        for fetch in ["src=\"http", "href=\"http", "url(http", "@import", "fetch("] {
            assert!(!page.contains(fetch), "{fetch}");
        }
        let data = data_of(&page);
        assert_eq!(data["format"], HTML_DATA_FORMAT);
        let frames = data["frames"].as_array().unwrap();
        let stacks = data["stacks"].as_array().unwrap();
        let function = |stack: &Value| {
            let first = stacks[stack.as_u64().unwrap() as usize][0]
                .as_u64()
                .unwrap();
            frames[first as usize]["function"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let leak_some: u64 = data["sites"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|site| function(&site["stack"]) == "leaky::leak_some")
            .map(|site| site["bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(leak_some, 6400);
        let ids: Vec<&str> = data["flamegraphs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|graph| graph["id"].as_str().unwrap())
            .collect();
        // The fixture has no scan: its leaks are live at exit.
        assert_eq!(ids[..3], ["leaks", "live", "allocated"], "{ids:?}");
        assert_eq!(data["verdict"]["has_leaks"], true);
    }

    #[test]
    fn text_in_the_data_cannot_end_its_script_element() {
        let mut value: Value = serde_json::from_str(crate::testing::LEAKY).unwrap();
        value["exe"] = "/bin/<!--<script></script>".into();
        value["args"] = serde_json::json!(["/bin/<!--<script></script>", "{{DATA}}"]);
        let profile =
            crate::symbols::load::parse_profile(Path::new("/t.json"), value.to_string().as_bytes())
                .unwrap();
        let page = html(&profile);
        let data = data_of(&page);
        assert_eq!(data["program"]["args"][1], "{{DATA}}");
        assert_eq!(data["program"]["exe"], "/bin/<!--<script></script>");
        assert_eq!(
            page.matches("<script").count(),
            2,
            "only the page's own two"
        );
    }
}
