//! report.html in a real headless Chromium: the key numbers on the page, a click on a
//! flamegraph frame, the flamegraph search, the sites table's sort, and the timeline's
//! marker moved by the mouse and by its slider. A page that throws fails the test.

use serde_json::Value;

use crate::browser::Browser;
use crate::{Output, code, growing_cache, leaky, out_dir, report_json, tools};

/// Opens `target`'s report.html, or `None` (the test skips) without Chromium.
fn open(target: &str, output: &Output) -> Option<Browser> {
    let chromium = tools::find(
        &["chromium", "chromium-browser", "google-chrome"],
        "report.html in a browser",
    )?;
    let page = out_dir(target).join("report.html");
    assert!(page.is_file(), "no {}\n{output:?}", page.display());
    let mut browser = Browser::open(&chromium, &page);
    browser.wait_until("document.querySelectorAll('.card').length > 0");
    Some(browser)
}

/// The text of the first element `selector` matches (`null` if none).
fn text(browser: &mut Browser, selector: &str) -> Value {
    let selector = serde_json::to_string(selector).unwrap();
    browser.eval(&format!(
        "(() => {{ const e = document.querySelector({selector}); return e && e.textContent.trim(); }})()"
    ))
}

/// A summary card's exact bytes and blocks, as shown.
fn card(browser: &mut Browser, key: &str) -> (Value, Value) {
    (
        text(browser, &format!(".card[data-key='{key}'] .card-bytes")),
        text(browser, &format!(".card[data-key='{key}'] .card-blocks")),
    )
}

#[test]
fn leaky_report_html_shows_its_leaks_and_zooms_into_a_frame() {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    let Some(mut browser) = open("leaky", output) else {
        return;
    };
    assert_eq!(
        text(&mut browser, "#verdict"),
        "leaks found: 10496 bytes in 101 blocks"
    );
    assert_eq!(
        card(&mut browser, "definite"),
        ("10,496 bytes".into(), "101 blocks".into())
    );
    assert_eq!(
        card(&mut browser, "reachable"),
        ("544 bytes".into(), "1 block".into())
    );

    // The definite leaks' flamegraph is shown first (no indirect leak, no tab for
    // them): a click on leak_some zooms to it.
    assert_eq!(
        text(&mut browser, ".flame-tab.active")
            .as_str()
            .map(|t| t.starts_with("Definitely lost")),
        Some(true)
    );
    assert_eq!(
        browser.eval("document.querySelectorAll(\".flame-tab[data-id='indirect']\").length"),
        0
    );
    browser.click("#flame .frame[data-name='leaky::leak_some']");
    browser.wait_until(
        "document.getElementById('flame-status').textContent === 'Zoomed to: leaky::leak_some'",
    );
    let widths = browser.eval(
        "(() => { const f = document.querySelector(\"#flame .frame[data-name='leaky::leak_some']\"); \
         return [f.getBoundingClientRect().width, document.getElementById('flame').clientWidth]; })()",
    );
    let (frame, whole) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(frame > whole * 0.95, "zoomed frame {frame} px of {whole}");
    browser.click("#flame-reset");
    browser.wait_until("document.getElementById('flame-status').textContent === ''");

    // Search: leak_box holds 4,096 of the 10,496 leaked bytes.
    browser.eval(
        "(() => { const s = document.getElementById('flame-search'); s.value = 'leak_box'; \
         s.dispatchEvent(new Event('input', {bubbles: true})); })()",
    );
    browser.wait_until("document.getElementById('flame-match').textContent.includes('39.0%')");

    // The sites, biggest first; a click on the header sorts them smallest first.
    let first = "#sites tbody tr[data-site] td:nth-child(4)";
    assert_eq!(text(&mut browser, first), "leaky::leak_some");
    browser.click("#sites th[data-sort='bytes']");
    browser.wait_until(&format!(
        "document.querySelector(\"{first}\").textContent.trim() === 'std::rt::init'"
    ));
    assert_eq!(browser.errors, Vec::<String>::new());
}

#[test]
fn growing_cache_report_html_moves_its_timeline_marker() {
    let output = growing_cache();
    output.assert_code(code::SUCCESS);
    let report = report_json("growing_cache", output);
    let Some(mut browser) = open("growing_cache", output) else {
        return;
    };
    let live = &report["summary"]["live_at_exit"];
    let thousands = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert_eq!(
        card(&mut browser, "live_at_exit"),
        (
            format!("{} bytes", thousands(live["bytes"].as_u64().unwrap())).into(),
            format!("{} blocks", thousands(live["blocks"].as_u64().unwrap())).into()
        )
    );
    assert_eq!(text(&mut browser, "#verdict"), "no leaks");

    // The slider at its end: the last checkpoint's biggest stack is the cache.
    browser.eval(
        "(() => { const m = document.getElementById('timeline-marker'); m.value = m.max; \
         m.dispatchEvent(new Event('input', {bubbles: true})); })()",
    );
    browser.wait_until(
        "(document.querySelector('#timeline-details li.top-site') || {}).textContent \
         ?.includes('growing_cache::remember_response') === true",
    );
    let at_end = text(&mut browser, "#timeline-details .moment-time");

    // The mouse on the chart's middle moves the marker back in time.
    browser.click("#timeline-chart svg");
    browser.wait_until(&format!(
        "document.querySelector('#timeline-details .moment-time').textContent.trim() !== {at_end}"
    ));
    let marker = browser.eval("[+document.getElementById('timeline-marker').value, +document.getElementById('timeline-marker').max]");
    let (value, max) = (marker[0].as_f64().unwrap(), marker[1].as_f64().unwrap());
    assert!(value > 0.0 && value < max, "marker at {value} of {max}");

    // The growing stack is listed.
    assert!(
        text(&mut browser, "#growth-table")
            .as_str()
            .is_some_and(|t| t.contains("growing_cache::remember_response")),
        "no growth row"
    );
    assert_eq!(browser.errors, Vec::<String>::new());
}
