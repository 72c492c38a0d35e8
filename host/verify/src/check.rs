//! Checking an outcomes export against a revealed key.

use std::collections::BTreeMap;
use std::io::Read;

use crate::stream::{Draw, Key, action_stream, commitment, legacy_stream, redraw};

/// Why an export could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not CSV.
    #[error("the export is not readable CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A column the check needs is missing.
    #[error("the export has no `{0}` column; is it an outcomes export?")]
    MissingColumn(&'static str),
}

/// What to check besides the draws.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The commitment published when the activity was created (hex
    /// blake3 of the key); the key must hash to it.
    pub commitment: Option<String>,
    /// The export covers only part of the activity (a time range): a
    /// user's sequence numbers need not start at 1 or be contiguous.
    pub partial: bool,
}

/// One thing wrong with the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The CSV line (1 is the header), or 0 for the export as a whole.
    pub line: u64,
    /// The outcome it concerns, if one.
    pub outcome_id: String,
    /// What is wrong.
    pub message: String,
}

/// What a check found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Outcome rows read.
    pub outcomes: u64,
    /// Distinct users (the timer "user", empty, included).
    pub users: u64,
    /// Draws re-derived.
    pub draws: u64,
    /// Rows recorded before sequence numbers, checked against the
    /// outcome-id derivation instead.
    pub legacy: u64,
    /// Everything that did not check out; empty when all did.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Every draw re-derived and every sequence accounted for.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check every row of an outcomes export (`GET /v1/exports` of kind
/// `outcomes`) against the activity's revealed `key`: each row's draws
/// must be exactly what `action_stream(key, user_id, seq)` yields, no
/// user's sequence number may appear twice, and (unless
/// [`Options::partial`]) each user's numbers must run 1, 2, ... without a
/// gap.
pub fn verify_export<R: Read>(reader: R, key: &Key, options: &Options) -> Result<Report, Error> {
    let mut report = Report::default();
    if let Some(c) = &options.commitment
        && !c.trim().eq_ignore_ascii_case(&commitment(key))
    {
        report.problems.push(Problem {
            line: 0,
            outcome_id: String::new(),
            message: format!(
                "the key does not match the commitment {}: its blake3 hash is {}",
                c.trim(),
                commitment(key)
            ),
        });
    }
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = csv.headers()?.clone();
    let column = |name: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(Error::MissingColumn(name))
    };
    let (id_at, user_at, seq_at, draws_at) = (
        column("id")?,
        column("user_id")?,
        column("seq")?,
        column("draws")?,
    );
    // user -> (seq -> first line using it)
    let mut seqs: BTreeMap<String, BTreeMap<u64, u64>> = BTreeMap::new();
    for row in csv.records() {
        let row = row?;
        let line = row.position().map_or(0, |p| p.line());
        report.outcomes += 1;
        let cell = |i: usize| unescape(row.get(i).unwrap_or_default());
        let (id, user) = (cell(id_at).to_owned(), cell(user_at).to_owned());
        let mut problem = |message: String| {
            report.problems.push(Problem {
                line,
                outcome_id: id.clone(),
                message,
            })
        };
        let draws: Vec<Draw> = match cell(draws_at) {
            "" => Vec::new(),
            text => match serde_json::from_str(text) {
                Ok(d) => d,
                Err(e) => {
                    problem(format!(
                        "its draws are not a list of [bound, value] pairs: {e}"
                    ));
                    continue;
                }
            },
        };
        let seq_text = cell(seq_at);
        let mut stream = if seq_text.is_empty() {
            report.legacy += 1;
            legacy_stream(key, &id)
        } else {
            match seq_text.parse::<u64>() {
                Ok(seq) if seq >= 1 => {
                    if let Some(first) = seqs.entry(user.clone()).or_default().insert(seq, line) {
                        problem(format!(
                            "user {user:?} has sequence number {seq} twice (also on line {first})"
                        ));
                    }
                    action_stream(key, &user, seq)
                }
                _ => {
                    problem(format!("its seq {seq_text:?} is not a positive integer"));
                    continue;
                }
            }
        };
        report.draws += draws.len() as u64;
        if let Err(i) = redraw(&mut stream, &draws) {
            let (bound, value) = draws[i];
            let what = if bound == 0 {
                "next-u64".to_owned()
            } else {
                format!("below({bound})")
            };
            problem(format!(
                "draw {} ({what} = {value}) is not what the key yields for user {user:?}, seq {seq_text}",
                i + 1
            ));
        }
    }
    report.users = seqs.len() as u64;
    if !options.partial {
        for (user, used) in &seqs {
            let missing: Vec<u64> = (1..=used.keys().last().copied().unwrap_or(0))
                .filter(|n| !used.contains_key(n))
                .collect();
            if !missing.is_empty() {
                report.problems.push(Problem {
                    line: 0,
                    outcome_id: String::new(),
                    message: format!(
                        "user {user:?} is missing sequence numbers {missing:?}: outcomes are left out of the export"
                    ),
                });
            }
        }
    }
    Ok(report)
}

/// Undo the export's formula defusing: a text cell that would start with
/// `=`, `+`, `-`, `@`, `'` or a tab or carriage return is written with one
/// leading `'`.
fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\'', '\t', '\r']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key = [9; 32];

    fn row(id: &str, user: &str, seq: u64, bounds: &[u64]) -> String {
        let mut s = action_stream(&KEY, user, seq);
        let draws: Vec<Draw> = bounds.iter().map(|&b| (b, s.draw(b))).collect();
        let cell = if user.starts_with(['=', '+', '-', '@', '\'']) {
            format!("'{user}")
        } else {
            user.to_owned()
        };
        format!(
            "{id},{cell},draw,{seq},\"{}\"\n",
            serde_json::to_string(&draws).unwrap().replace('"', "\"\"")
        )
    }

    fn export(rows: &[String]) -> String {
        let mut s = String::from("id,user_id,action,seq,draws\n");
        rows.iter().for_each(|r| s.push_str(r));
        s
    }

    #[test]
    fn a_true_export_checks_out() {
        let rows = [
            row("o1", "alice", 1, &[100, 0]),
            row("o2", "bob", 1, &[100]),
            row("o3", "alice", 2, &[]),
            row("o4", "-dash", 1, &[6]),
        ];
        let opts = Options {
            commitment: Some(commitment(&KEY)),
            partial: false,
        };
        let r = verify_export(export(&rows).as_bytes(), &KEY, &opts).unwrap();
        assert!(r.is_clean(), "{:?}", r.problems);
        assert_eq!((r.outcomes, r.users, r.draws), (4, 3, 4));
    }

    #[test]
    fn tampering_is_caught() {
        let good = row("o1", "alice", 1, &[100]);
        // A changed draw value.
        let mut s = action_stream(&KEY, "alice", 1);
        let v = s.below(100);
        let forged = format!("o1,alice,draw,1,\"[[100,{}]]\"\n", (v + 1) % 100);
        let r = verify_export(export(&[forged]).as_bytes(), &KEY, &Options::default()).unwrap();
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].message.contains("draw 1"));
        // A re-rolled action: the same seq used twice.
        let again = row("o2", "alice", 1, &[100]);
        let r = verify_export(
            export(&[good.clone(), again]).as_bytes(),
            &KEY,
            &Options::default(),
        )
        .unwrap();
        assert!(r.problems[0].message.contains("twice"), "{:?}", r.problems);
        // A withheld outcome: seq 2 missing.
        let third = row("o3", "alice", 3, &[100]);
        let r = verify_export(
            export(&[good.clone(), third.clone()]).as_bytes(),
            &KEY,
            &Options::default(),
        )
        .unwrap();
        assert!(
            r.problems[0]
                .message
                .contains("missing sequence numbers [2]")
        );
        let partial = Options {
            partial: true,
            ..Options::default()
        };
        assert!(
            verify_export(export(&[good.clone(), third]).as_bytes(), &KEY, &partial)
                .unwrap()
                .is_clean()
        );
        // The wrong key, or a key that is not the committed one.
        let r = verify_export(
            export(std::slice::from_ref(&good)).as_bytes(),
            &[1; 32],
            &Options::default(),
        )
        .unwrap();
        assert_eq!(r.problems.len(), 1);
        let committed = Options {
            commitment: Some(commitment(&[1; 32])),
            partial: false,
        };
        let r = verify_export(export(&[good]).as_bytes(), &KEY, &committed).unwrap();
        assert!(r.problems[0].message.contains("commitment"));
    }

    #[test]
    fn a_file_that_is_not_an_outcomes_export_is_refused() {
        let e = verify_export("a,b\n1,2\n".as_bytes(), &KEY, &Options::default()).unwrap_err();
        assert!(matches!(e, Error::MissingColumn("id")));
    }

    #[test]
    fn unescape_strips_exactly_the_defusing_quote() {
        assert_eq!(unescape("'-x"), "-x");
        assert_eq!(unescape("''x"), "'x");
        assert_eq!(unescape("'x"), "'x");
        assert_eq!(unescape("x"), "x");
    }
}
