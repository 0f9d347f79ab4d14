//! alloc-tracker (skeleton).
