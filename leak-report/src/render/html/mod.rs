//! The self-contained HTML report: its data, and the page it is put in (`page.html`,
//! `page.css`, and the script's parts in `script/`).

pub(crate) mod data;
pub(crate) mod write;
