//! Random 384-d points with structure: flat clusters and nested topics.

pub const DIM: usize = 384;

/// A deterministic generator (xorshift), so runs are comparable.
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in [-1, 1).
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next() + 1.0) / 2.0 * n as f32) as usize).min(n - 1)
    }
}

/// `v` scaled to length 1.
pub fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn random_unit(rng: &mut Rng) -> Vec<f32> {
    unit((0..DIM).map(|_| rng.next()).collect())
}

/// `v` moved by `spread` times a random vector (per coordinate), renormalised.
pub fn jitter(v: &[f32], spread: f32, rng: &mut Rng) -> Vec<f32> {
    unit(v.iter().map(|x| x + spread * rng.next()).collect())
}

/// Clustered points, not uniform noise: 256 centres, every point its centre plus noise
/// of about 0.6 of its length in every direction. Neighbours within a cluster are
/// nearly equidistant: the hard case for a graph index.
pub fn clusters(n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let centers: Vec<Vec<f32>> = (0..256).map(|_| random_unit(rng)).collect();
    (0..n)
        .map(|i| jitter(&centers[i % centers.len()], CLUSTER_SPREAD, rng))
        .collect()
}

/// The per-coordinate noise of `clusters`.
pub const CLUSTER_SPREAD: f32 = 0.05;

/// Multi-scale structure: 256 topics, each with 64 subtopics (offsets of about half
/// the topic's length), each point its subtopic plus noise of about a fifth of its
/// length in every direction.
pub fn topics(n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let topics: Vec<Vec<f32>> = (0..256).map(|_| random_unit(rng)).collect();
    let subtopics: Vec<Vec<f32>> = (0..256 * 64)
        .map(|s| {
            let offset = random_unit(rng);
            unit(
                topics[s % 256]
                    .iter()
                    .zip(offset)
                    .map(|(t, o)| t + 0.5 * o)
                    .collect(),
            )
        })
        .collect();
    (0..n)
        .map(|i| jitter(&subtopics[i % subtopics.len()], TOPIC_SPREAD, rng))
        .collect()
}

/// The per-coordinate noise of `topics`.
pub const TOPIC_SPREAD: f32 = 0.017;

/// Local intrinsic dimensionality at a query, by maximum likelihood (Levina and Bickel)
/// from the cosine similarities of its nearest neighbours, best first: how many
/// directions its neighbourhood really spreads in. Random noise in 384-d scores in the
/// hundreds; sentence embeddings far lower.
pub fn local_dimensionality(similarities: &[f32]) -> Option<f64> {
    let distances: Vec<f64> = similarities
        .iter()
        .map(|s| (2.0 - 2.0 * f64::from(*s)).max(0.0).sqrt())
        .collect();
    let (&farthest, nearer) = distances.split_last()?;
    if nearer.is_empty() || farthest <= 0.0 {
        return None;
    }
    let mean_log = nearer
        .iter()
        .filter(|d| **d > 0.0)
        .map(|d| (d / farthest).ln())
        .sum::<f64>()
        / nearer.len() as f64;
    (mean_log < 0.0).then(|| -1.0 / mean_log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensionality_tells_a_line_from_noise() {
        // Neighbours spread along one line: distances grow linearly, dimension ~1.
        let line: Vec<f32> = (1..=20)
            .map(|i| 1.0 - (i as f32 * 0.01).powi(2) / 2.0)
            .collect();
        let d = local_dimensionality(&line).unwrap();
        assert!((0.5..2.0).contains(&d), "{d}");
        // Clustered noise in 384-d: neighbours nearly equidistant, dimension high.
        let mut rng = Rng(7);
        let points = clusters(256 * 64, &mut rng);
        let query = jitter(&points[0], CLUSTER_SPREAD, &mut rng);
        let mut sims: Vec<f32> = points
            .iter()
            .map(|p| p.iter().zip(&query).map(|(a, b)| a * b).sum())
            .collect();
        sims.sort_by(|a, b| b.total_cmp(a));
        let d = local_dimensionality(&sims[..21]).unwrap();
        assert!(d > 10.0, "{d}");
    }
}
