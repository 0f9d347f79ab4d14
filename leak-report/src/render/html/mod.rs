//! The self-contained HTML report: its data, and the page (`page.html`, `page.css`,
//! `page.js`) it is put in.

pub(crate) mod data;
pub(crate) mod write;
