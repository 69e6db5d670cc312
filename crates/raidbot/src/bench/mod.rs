//! `raidbot bench …`: benchmarks that print figures. They run the real code against a
//! database of their own on the configured PostgreSQL server and drop it afterwards.

pub mod dashboard;
pub mod join_burst;
pub mod leaderboard;
pub mod raidstats;
pub mod shards;

pub use leaderboard::{Options, leaderboard};

/// p-th percentile (0–100) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(super::percentile(&v, 50.0), 50.0);
        assert_eq!(super::percentile(&v, 99.0), 99.0);
        assert_eq!(super::percentile(&v, 100.0), 100.0);
        assert_eq!(super::percentile(&[7.0], 99.0), 7.0);
        assert_eq!(super::percentile(&[], 50.0), 0.0);
    }
}
