//! The price-cut mechanic (being written).
