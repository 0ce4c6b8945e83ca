//! Summaries of repeated measurements: median, minimum and maximum.

use std::time::Duration;

/// Median, minimum and maximum of a non-empty set of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many samples were summarised.
    pub count: usize,
    /// The middle sample (the mean of the two middle ones for an even count).
    pub median: Duration,
    /// The fastest sample.
    pub min: Duration,
    /// The slowest sample.
    pub max: Duration,
}

impl Summary {
    /// Summarises `samples` (in any order); `None` when there are none.
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2
        };
        Some(Summary {
            count: sorted.len(),
            median,
            min,
            max,
        })
    }
}

/// `baseline / candidate`: how many times faster the candidate is (> 1 means
/// faster). `None` when the candidate took no measurable time.
pub fn ratio(baseline: Duration, candidate: Duration) -> Option<f64> {
    (!candidate.is_zero()).then(|| baseline.as_secs_f64() / candidate.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn empty_has_no_summary() {
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn single_sample_is_median_min_and_max() {
        let summary = Summary::of(&ms(&[7])).unwrap();
        assert_eq!(summary.count, 1);
        assert_eq!(summary.median, Duration::from_millis(7));
        assert_eq!(summary.min, summary.max);
    }

    #[test]
    fn odd_count_takes_the_middle_of_the_sorted_samples() {
        let summary = Summary::of(&ms(&[9, 1, 5, 3, 100])).unwrap();
        assert_eq!(summary.median, Duration::from_millis(5));
        assert_eq!(summary.min, Duration::from_millis(1));
        assert_eq!(summary.max, Duration::from_millis(100));
        assert_eq!(summary.count, 5);
    }

    #[test]
    fn even_count_averages_the_two_middle_samples() {
        let summary = Summary::of(&ms(&[4, 1, 10, 2])).unwrap();
        assert_eq!(summary.median, Duration::from_millis(3));
    }

    #[test]
    fn ratio_is_baseline_over_candidate() {
        let ratio = ratio(Duration::from_millis(30), Duration::from_millis(10)).unwrap();
        assert!((ratio - 3.0).abs() < 1e-9);
        assert_eq!(super::ratio(Duration::from_millis(1), Duration::ZERO), None);
    }
}
