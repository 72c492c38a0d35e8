//! The fuel each plugin call used and the state it read and wrote, as the
//! service reports them: a debug event of target `arcade::fuel` per call
//! (see `service/calls.rs`). The meter collects those events, so `arcade
//! plugin test` can print the fuel of each step, and find what two
//! actions of a `together` step conflict on, without the service knowing
//! it is being measured.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// One plugin call as the meter saw it.
#[derive(Debug, Default)]
pub(super) struct Call {
    pub fuel: u64,
    /// What it read and wrote (see `CallIo::touched`).
    pub reads: Vec<String>,
    pub writes: Vec<String>,
}

/// The calls since the meter was last read.
#[derive(Clone, Default)]
pub(super) struct FuelMeter(Arc<Mutex<Vec<Call>>>);

impl FuelMeter {
    /// Install the meter as (part of) this process's tracing subscriber,
    /// beside warnings on stderr. `None` if a subscriber was already set.
    pub(super) fn install() -> Option<FuelMeter> {
        use tracing_subscriber::filter::{LevelFilter, Targets};
        let meter = FuelMeter::default();
        let fuel = MeterLayer(meter.clone())
            .with_filter(Targets::new().with_target("arcade::fuel", LevelFilter::DEBUG));
        let warnings = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(LevelFilter::WARN);
        tracing_subscriber::registry()
            .with(fuel)
            .with(warnings)
            .try_init()
            .ok()
            .map(|()| meter)
    }

    /// The calls since the last `take`, in order.
    pub(super) fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().expect("fuel meter lock"))
    }
}

struct MeterLayer(FuelMeter);

impl<S: tracing::Subscriber> Layer<S> for MeterLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Seen(Option<u64>, Call);
        impl Visit for Seen {
            fn record_u64(&mut self, field: &Field, value: u64) {
                if field.name() == "fuel_used" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                let keys = || {
                    format!("{value:?}")
                        .split_whitespace()
                        .map(String::from)
                        .collect()
                };
                match field.name() {
                    "reads" => self.1.reads = keys(),
                    "writes" => self.1.writes = keys(),
                    _ => {}
                }
            }
        }
        let mut seen = Seen(None, Call::default());
        event.record(&mut seen);
        if let Seen(Some(fuel), call) = seen {
            let call = Call { fuel, ..call };
            (self.0).0.lock().expect("fuel meter lock").push(call);
        }
    }
}

/// `12345678` as `12,345,678`.
pub(super) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::grouped(0), "0");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1_000), "1,000");
        assert_eq!(super::grouped(20_000_000), "20,000,000");
    }
}
