//! What the benchmarks share: the process's memory as Linux reports it.

/// A memory figure of this process from `/proc/self/status` in MiB (`VmHWM:` the peak
/// resident set, `VmRSS:` the current one); NaN where the system does not say.
pub fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The peak resident memory so far, in MiB.
#[allow(dead_code)] // the scale bench reads both figures through `status_mib`
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}
