//! The group-buy mechanic (being written).
