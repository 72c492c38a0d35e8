//! End-to-end tests. Postgres tests need `DATABASE_URL`; see
//! [`support::fresh_pg_url`].

mod containment;
mod fairness;
mod harness;
mod ledger;
mod lucky_draw;
mod quiz;
mod replay;
mod store;
mod support;
