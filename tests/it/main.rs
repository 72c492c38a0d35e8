//! End-to-end tests. Postgres tests need `DATABASE_URL`; see
//! [`support::fresh_pg_url`].

mod store;
mod support;
