//! The fuel each plugin call used, as the service reports it: a debug
//! event of target `arcade::fuel` per call (see `service/calls.rs`). The
//! meter collects those events, so `arcade plugin test` can print the fuel
//! of each step without the service knowing it is being measured.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Fuel of the calls since the meter was last read.
#[derive(Clone, Default)]
pub(super) struct FuelMeter(Arc<Mutex<Vec<u64>>>);

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

    /// The fuel of each call since the last `take`, in order.
    pub(super) fn take(&self) -> Vec<u64> {
        std::mem::take(&mut *self.0.lock().expect("fuel meter lock"))
    }
}

struct MeterLayer(FuelMeter);

impl<S: tracing::Subscriber> Layer<S> for MeterLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Fuel(Option<u64>);
        impl Visit for Fuel {
            fn record_u64(&mut self, field: &Field, value: u64) {
                if field.name() == "fuel_used" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
        }
        let mut fuel = Fuel(None);
        event.record(&mut fuel);
        if let Some(used) = fuel.0 {
            (self.0).0.lock().expect("fuel meter lock").push(used);
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
