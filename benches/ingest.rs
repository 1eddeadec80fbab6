//! Load + inspect benchmark: prints wall time, throughput and peak memory (no assertions).
//!
//! `cargo bench --bench ingest` measures the real table (CSV and xlsx, from `../shared`, when
//! present) and a generated 1,000,000-row, 20-column CSV. Each case runs in a child process of
//! its own so that its peak resident memory (VmHWM) is its alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use churnlab::config::{Checked, Config};
use churnlab::sample::sample_csv;
use churnlab::session::Session;

mod common;
use common::peak_rss_mib;

/// One case, in this (child) process.
fn measure(path: &Path) {
    let t0 = Instant::now();
    let bytes = std::fs::read(path).expect("readable input");
    let read = t0.elapsed();
    let name = path.file_name().unwrap().to_string_lossy();
    let cfg = Checked::default();
    let mut session = Session::load(&bytes, &name, &cfg).expect("the table loads");
    let report = session.inspect(&cfg).expect("the table inspects");
    let total = t0.elapsed();
    // One column's role changed: the kept table is prepared again, the file is not parsed.
    let mut edited = Config::default();
    let feature = &report.schema.columns[report.schema.features()[0]].name;
    edited.schema.ignore = vec![feature.clone()];
    let edited = edited.check().expect("valid options");
    let t = Instant::now();
    session.inspect(&edited).expect("the edit applies");
    let edit = t.elapsed();
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{:<28} {:>9} rows {:>8.1} MB  read {:>6.3} s  load+inspect {:>6.3} s  {:>6.1} MB/s  peak RSS {:>7.1} MiB",
        name,
        report.source.rows,
        mb,
        read.as_secs_f64(),
        (total - read).as_secs_f64(),
        mb / total.as_secs_f64(),
        peak_rss_mib()
    );
    println!(
        "{:<28} '{feature}' ignored: edit + inspect {:>6.3} s ({:.2} × the load), parses {}",
        "",
        edit.as_secs_f64(),
        edit.as_secs_f64() / (total - read).as_secs_f64(),
        session.counts().parses
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        return measure(Path::new(&args[i + 1]));
    }
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ecommerce-churn");
    let mut cases: Vec<PathBuf> = ["ecommerce_churn.csv", "E Commerce Dataset.xlsx"]
        .iter()
        .map(|n| shared.join(n))
        .filter(|p| {
            let there = p.exists();
            if !there {
                eprintln!("*** SKIPPED: {} is absent ***", p.display());
            }
            there
        })
        .collect();
    let big = std::env::temp_dir().join("churnlab-bench-1m.csv");
    let t0 = Instant::now();
    std::fs::write(&big, sample_csv(1_000_000, 7)).expect("temp file written");
    println!(
        "generated {} in {:.2} s",
        big.display(),
        t0.elapsed().as_secs_f64()
    );
    cases.push(big.clone());
    let me = std::env::current_exe().expect("own path");
    for case in &cases {
        let status = Command::new(&me)
            .arg("--case")
            .arg(case)
            .status()
            .expect("child runs");
        assert!(status.success(), "case {} failed", case.display());
    }
    let _ = std::fs::remove_file(big);
}
