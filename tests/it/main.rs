//! End-to-end tests. Postgres tests need `DATABASE_URL`; see
//! [`support::fresh_pg_url`].

mod check_in;
mod containment;
mod crowd;
mod defects;
mod enablements;
mod exports;
mod fairness;
mod fulfilment;
mod group_buy;
mod harness;
mod http_hardening;
mod ledger;
mod lucky_draw;
mod members;
mod operators;
mod price_cut;
mod quiz;
mod red_packet;
mod replay;
mod revisions;
mod sandbox;
mod simulate;
mod stats;
mod store;
mod support;
