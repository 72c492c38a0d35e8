//! The check-in mechanic (being written).
