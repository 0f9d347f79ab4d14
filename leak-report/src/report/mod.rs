//! The [`Report`](model::Report): data and accessors (`model`), and how it is built from a
//! profile by the layers below (`build`).

pub(crate) mod build;
pub(crate) mod model;
