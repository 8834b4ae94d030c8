//! Counters merged over connections and the latency summary printed in the JSON line.

use serde_json::{json, Value};

/// Per-connection counters, summed over the run.
#[derive(Default, Clone)]
pub struct Counts {
    /// `message` frames carrying a load marker.
    pub received: u64,
    /// Deliveries received during the measured window.
    pub delivered_in_window: u64,
    /// A seq received a second time.
    pub duplicated: u64,
    /// A seq received after a later one.
    pub reordered: u64,
    /// A sender's marker number not above the last one seen from that sender.
    pub marker_errors: u64,
    pub acked: u64,
    pub acked_in_window: u64,
    pub ack_duplicates: u64,
    /// Frames that are none of the above (member_joined, system messages, …).
    pub other_frames: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.delivered_in_window += o.delivered_in_window;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
        self.marker_errors += o.marker_errors;
        self.acked += o.acked;
        self.acked_in_window += o.acked_in_window;
        self.ack_duplicates += o.ack_duplicates;
        self.other_frames += o.other_frames;
    }
}

/// `{p50,p99,p999,max,mean,n}` in µs (nulls when there are no samples); sorts `v`.
pub fn percentiles(v: &mut [u32]) -> Value {
    if v.is_empty() {
        return json!({"p50": null, "p99": null, "p999": null, "max": null, "mean": null, "n": 0});
    }
    v.sort_unstable();
    let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    json!({"p50": at(0.50), "p99": at(0.99), "p999": at(0.999), "max": v[v.len() - 1],
           "mean": mean.round(), "n": v.len()})
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn percentiles_of_1_to_1000() {
        let mut v: Vec<u32> = (1..=1000).collect();
        let p = percentiles(&mut v);
        assert_eq!(
            (p["p50"].as_u64(), p["p99"].as_u64(), p["p999"].as_u64()),
            (Some(500), Some(990), Some(999))
        );
        assert_eq!(p["max"].as_u64(), Some(1000));
    }
}
