//! How long each stage over a table took and how much memory the process had needed by its
//! end: reported with the inspect report, so the page and `churnlab inspect` show what a large
//! table costs where.

use serde::Serialize;

/// One stage's time and the peak memory by its end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
    /// The process's peak memory in MiB by the end of the stage, where it can be known: in the
    /// page the WebAssembly memory (which only grows), on Linux the peak resident set.
    pub peak_mib: Option<f64>,
}

/// Runs `f` as the stage `name`.
pub fn timed<T>(name: &'static str, f: impl FnOnce() -> T) -> (T, Stage) {
    let start = crate::now();
    let out = f();
    let stage = Stage {
        name,
        seconds: (crate::now() - start).as_secs_f64(),
        peak_mib: peak_mib(),
    };
    (out, stage)
}

#[cfg(target_arch = "wasm32")]
fn peak_mib() -> Option<f64> {
    Some((core::arch::wasm32::memory_size(0) * 65536) as f64 / (1024.0 * 1024.0))
}

#[cfg(not(target_arch = "wasm32"))]
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let kb: f64 = kb.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}
