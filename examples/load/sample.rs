//! What the runner measures of processes from `/proc/<pid>`: RSS and CPU time of the
//! server (one process, or every node of a cluster, summed) and of this client, and
//! optionally of other processes the run depends on (`--aux-pid`: NATS, PostgreSQL).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Linux `_SC_CLK_TCK`; 100 on every architecture roomd targets.
const CLK_TCK: f64 = 100.0;

/// VmRSS of a process, in KiB (`pid` 0 = this process; 0 if it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    let path = if pid == 0 { "/proc/self/status".to_string() } else { format!("/proc/{pid}/status") };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Summed VmRSS of several processes, in KiB.
pub fn rss_kib_sum(pids: &[u32]) -> u64 {
    pids.iter().map(|&p| rss_kib(p)).sum()
}

/// utime + stime of a process, in seconds (`pid` 0 = this process; 0 if it is gone).
pub fn cpu_secs(pid: u32) -> f64 {
    let path = if pid == 0 { "/proc/self/stat".to_string() } else { format!("/proc/{pid}/stat") };
    let Ok(s) = std::fs::read_to_string(path) else { return 0.0 };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / CLK_TCK
}

/// CPU use of the server processes, the auxiliary ones and this client over a window,
/// plus each server process's peak RSS (sampled every 50 ms on a thread) from creation
/// to `finish`.
pub struct Sampler {
    pids: Vec<u32>,
    aux: Vec<u32>,
    started: Instant,
    server_cpu0: Vec<f64>,
    aux_cpu0: Vec<f64>,
    client_cpu0: f64,
    peaks: Arc<Vec<AtomicU64>>,
    done: Arc<AtomicBool>,
}

/// One server process over the window.
pub struct ProcSample {
    pub pid: u32,
    pub rss_kib_peak: u64,
    pub rss_kib_end: u64,
    pub cpu_pct: f64,
}

pub struct Sample {
    pub procs: Vec<ProcSample>,
    /// Sums over `procs` (the peak is the sum of the per-process peaks).
    pub rss_kib_peak: u64,
    pub rss_kib_end: u64,
    pub server_cpu_pct: f64,
    /// CPU of the `--aux-pid` processes, summed (those that exited during the window
    /// count nothing); None without any.
    pub aux_cpu_pct: Option<f64>,
    pub client_cpu_pct: f64,
}

impl Sampler {
    pub fn start(pids: &[u32], aux: &[u32]) -> Sampler {
        let peaks: Arc<Vec<AtomicU64>> = Arc::new(pids.iter().map(|&p| AtomicU64::new(rss_kib(p))).collect());
        let done = Arc::new(AtomicBool::new(false));
        let (p, d, watched) = (peaks.clone(), done.clone(), pids.to_vec());
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                for (peak, &pid) in p.iter().zip(&watched) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Sampler {
            pids: pids.to_vec(),
            aux: aux.to_vec(),
            started: Instant::now(),
            server_cpu0: pids.iter().map(|&p| cpu_secs(p)).collect(),
            aux_cpu0: aux.iter().map(|&p| cpu_secs(p)).collect(),
            client_cpu0: cpu_secs(0),
            peaks,
            done,
        }
    }

    /// Restarts the CPU window (e.g. at the end of the warmup); the RSS peaks keep going.
    pub fn reset_cpu(&mut self) {
        self.started = Instant::now();
        self.server_cpu0 = self.pids.iter().map(|&p| cpu_secs(p)).collect();
        self.aux_cpu0 = self.aux.iter().map(|&p| cpu_secs(p)).collect();
        self.client_cpu0 = cpu_secs(0);
    }

    pub fn finish(self) -> Sample {
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let pct = |secs: f64| 100.0 * secs / wall;
        self.done.store(true, Ordering::Relaxed);
        let procs: Vec<ProcSample> = self
            .pids
            .iter()
            .zip(&self.server_cpu0)
            .zip(self.peaks.iter())
            .map(|((&pid, &cpu0), peak)| {
                let end = rss_kib(pid);
                ProcSample {
                    pid,
                    rss_kib_peak: peak.load(Ordering::Relaxed).max(end),
                    rss_kib_end: end,
                    cpu_pct: pct(cpu_secs(pid) - cpu0),
                }
            })
            .collect();
        // A process that exited meanwhile reads 0: it counts nothing rather than negative.
        let aux_secs: f64 =
            self.aux.iter().zip(&self.aux_cpu0).map(|(&p, &cpu0)| (cpu_secs(p) - cpu0).max(0.0)).sum();
        let aux_cpu_pct = (!self.aux.is_empty()).then(|| pct(aux_secs));
        Sample {
            rss_kib_peak: procs.iter().map(|p| p.rss_kib_peak).sum(),
            rss_kib_end: procs.iter().map(|p| p.rss_kib_end).sum(),
            server_cpu_pct: procs.iter().map(|p| p.cpu_pct).sum(),
            procs,
            aux_cpu_pct,
            client_cpu_pct: pct(cpu_secs(0) - self.client_cpu0),
        }
    }
}

impl Sample {
    /// The `server` object of the JSON line: `{pid, rss_kib_peak, rss_kib_end, cpu_pct}`
    /// for one process (as before clusters); for several, the sums plus `pids` and one
    /// such object per node in `nodes`. `null` when no server process is known.
    pub fn server_json(&self) -> Value {
        match self.procs.as_slice() {
            [] => Value::Null,
            [p] => proc_json(p),
            many => json!({
                "pids": many.iter().map(|p| p.pid).collect::<Vec<_>>(),
                "rss_kib_peak": self.rss_kib_peak, "rss_kib_end": self.rss_kib_end,
                "cpu_pct": round1(self.server_cpu_pct),
                "nodes": many.iter().map(proc_json).collect::<Vec<_>>(),
            }),
        }
    }

    /// Adds `aux` (`{"cpu_pct"}`) to a scenario's JSON object when `--aux-pid` was given.
    pub fn add_aux(&self, v: &mut Value) {
        if let (Some(cpu), Value::Object(m)) = (self.aux_cpu_pct, v) {
            m.insert("aux".into(), json!({"cpu_pct": round1(cpu)}));
        }
    }
}

fn proc_json(p: &ProcSample) -> Value {
    json!({"pid": p.pid, "rss_kib_peak": p.rss_kib_peak, "rss_kib_end": p.rss_kib_end,
           "cpu_pct": round1(p.cpu_pct)})
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::{ProcSample, Sample};

    fn sample(procs: Vec<ProcSample>) -> Sample {
        Sample {
            rss_kib_peak: procs.iter().map(|p| p.rss_kib_peak).sum(),
            rss_kib_end: procs.iter().map(|p| p.rss_kib_end).sum(),
            server_cpu_pct: procs.iter().map(|p| p.cpu_pct).sum(),
            procs,
            aux_cpu_pct: None,
            client_cpu_pct: 0.0,
        }
    }

    fn proc(pid: u32, cpu_pct: f64) -> ProcSample {
        ProcSample { pid, rss_kib_peak: 200, rss_kib_end: 100, cpu_pct }
    }

    #[test]
    fn one_server_keeps_the_single_node_shape() {
        let v = sample(vec![proc(7, 12.34)]).server_json();
        assert_eq!(
            v,
            serde_json::json!({"pid": 7, "rss_kib_peak": 200, "rss_kib_end": 100, "cpu_pct": 12.3})
        );
    }

    #[test]
    fn several_servers_are_summed_with_one_entry_each() {
        let v = sample(vec![proc(1, 10.0), proc(2, 20.0)]).server_json();
        assert_eq!(v["pids"], serde_json::json!([1, 2]));
        assert_eq!((v["cpu_pct"].as_f64(), v["rss_kib_peak"].as_u64()), (Some(30.0), Some(400)));
        assert_eq!(v["nodes"][1]["pid"], 2);
        assert!(sample(vec![]).server_json().is_null());
    }
}
