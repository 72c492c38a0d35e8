//! `arcade verify`: the standalone fairness check over an outcomes export
//! (the `arcade-verify` crate), with a report for people.

use std::io::Read;

use anyhow::Context;

use crate::cli::VerifyArgs;

/// Run the check; `Ok(true)` when every draw re-derived and every
/// sequence number is accounted for.
pub fn run(args: VerifyArgs) -> anyhow::Result<bool> {
    let key = arcade_verify::parse_key(&args.key)
        .context("--key must be the activity's 64-hex-character randomness key")?;
    let input: Box<dyn Read> = if args.export.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&args.export)
                .with_context(|| format!("cannot open {}", args.export.display()))?,
        )
    };
    let options = arcade_verify::Options {
        commitment: args.commitment,
        partial: args.partial,
    };
    let report = arcade_verify::verify_export(std::io::BufReader::new(input), &key, &options)?;
    for p in &report.problems {
        match (p.line, p.outcome_id.as_str()) {
            (0, _) => println!("FAIL {}", p.message),
            (line, id) => println!("FAIL line {line} (outcome {id}): {}", p.message),
        }
    }
    println!(
        "{} outcomes of {} users, {} draws re-derived{}: {}",
        report.outcomes,
        report.users,
        report.draws,
        if report.legacy > 0 {
            format!(
                " ({} outcomes from before sequence numbers, checked by outcome id)",
                report.legacy
            )
        } else {
            String::new()
        },
        if report.is_clean() {
            "every draw is what the key yields".to_owned()
        } else {
            format!("{} problems", report.problems.len())
        }
    );
    Ok(report.is_clean())
}
