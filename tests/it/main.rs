//! End-to-end tests. Postgres tests need `DATABASE_URL`; see
//! [`support::fresh_pg_url`].

mod check_in;
mod containment;
mod fairness;
mod group_buy;
mod harness;
mod ledger;
mod lucky_draw;
mod price_cut;
mod quiz;
mod replay;
mod sandbox;
mod store;
mod support;
