//! The quiz mechanic (being written).
