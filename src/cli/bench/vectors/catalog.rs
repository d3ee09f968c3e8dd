//! Product-like points: titles drawn from the Shopify taxonomy and attribute lists
//! ("Norvik slim navy linen T-Shirts"), either embedded by the model one by one
//! (`titles`: real, slow) or composed from the model's embeddings of their parts
//! (`catalog`: fast enough for a million points, with weights fitted to real titles).

use super::Made;
use super::synthetic::{DIM, Rng, unit};
use shopkeeper_memory::embed::{Embedder, dot};
use shopkeeper_tools::catalog::taxonomy;
use std::time::Instant;

const COLOURS: &[&str] = &[
    "black", "white", "navy", "red", "green", "olive", "grey", "beige", "brown", "pink", "purple",
    "yellow", "orange", "teal", "burgundy", "cream", "silver", "gold", "sky blue", "charcoal",
    "mint", "coral", "ivory", "tan",
];
const MATERIALS: &[&str] = &[
    "cotton",
    "linen",
    "wool",
    "leather",
    "silk",
    "denim",
    "bamboo",
    "stainless steel",
    "ceramic",
    "glass",
    "oak",
    "walnut",
    "recycled plastic",
    "aluminium",
    "cashmere",
    "canvas",
    "rubber",
    "brass",
    "marble",
    "polyester",
];
const STYLES: &[&str] = &[
    "classic",
    "slim",
    "oversized",
    "vintage",
    "minimalist",
    "rugged",
    "compact",
    "premium",
    "lightweight",
    "waterproof",
    "handmade",
    "organic",
    "modern",
    "retro",
    "portable",
    "heavy-duty",
    "eco-friendly",
    "travel",
    "kids'",
    "women's",
    "men's",
    "unisex",
    "professional",
    "deluxe",
    "mini",
    "foldable",
    "insulated",
    "ergonomic",
    "festive",
    "everyday",
];
const SYLLABLES: &[&str] = &[
    "nor", "vik", "lu", "ma", "sol", "ber", "ka", "tri", "zen", "ox", "ar", "del", "fin", "go",
    "hal", "ri",
];

/// Where every draw of titles starts, so `titles` and `catalog` draw the same ones.
const SEED: u64 = 0x5eed_0f71_71e5;

/// The parts of one title, as indices into the vocabulary.
#[derive(Debug, Clone, Copy)]
struct Draw {
    brand: usize,
    style: usize,
    colour: usize,
    material: usize,
    category: usize,
}

/// The word lists that are not constants: brand names and the taxonomy's categories.
struct Vocabulary {
    brands: Vec<String>,
    categories: Vec<&'static str>,
}

impl Vocabulary {
    fn new() -> Self {
        let brands = (0..SYLLABLES.len() * 4)
            .map(|i| {
                let a = SYLLABLES[i % SYLLABLES.len()];
                let b = SYLLABLES[(i * 7 + 3) % SYLLABLES.len()];
                let mut name = format!("{a}{b}");
                name[..1].make_ascii_uppercase();
                name
            })
            .collect();
        let mut categories: Vec<&'static str> = taxonomy::all().iter().map(|c| c.name()).collect();
        categories.sort_unstable();
        categories.dedup();
        Self { brands, categories }
    }

    fn draw(&self, rng: &mut Rng) -> Draw {
        Draw {
            brand: rng.below(self.brands.len()),
            style: rng.below(STYLES.len()),
            colour: rng.below(COLOURS.len()),
            material: rng.below(MATERIALS.len()),
            category: rng.below(self.categories.len()),
        }
    }

    fn title(&self, d: Draw) -> String {
        format!(
            "{} {} {} {} {}",
            self.brands[d.brand],
            STYLES[d.style],
            COLOURS[d.colour],
            MATERIALS[d.material],
            self.categories[d.category]
        )
    }
}

/// The same product in another colour by another brand: what a shopper asks for next.
fn variation(d: Draw, rng: &mut Rng, vocabulary: &Vocabulary) -> Draw {
    Draw {
        brand: rng.below(vocabulary.brands.len()),
        colour: rng.below(COLOURS.len()),
        ..d
    }
}

fn draws(
    n: usize,
    queries: usize,
    rng: &mut Rng,
    vocabulary: &Vocabulary,
) -> (Vec<Draw>, Vec<Draw>) {
    let points: Vec<Draw> = (0..n).map(|_| vocabulary.draw(rng)).collect();
    let asked = (0..queries)
        .map(|q| variation(points[(q * 7919) % n], rng, vocabulary))
        .collect();
    (points, asked)
}

/// Every title embedded by the model: the real thing, at 150–300 titles a second here.
pub async fn titles(n: usize, queries: usize, embedder: &dyn Embedder) -> anyhow::Result<Made> {
    let vocabulary = Vocabulary::new();
    let mut rng = Rng(SEED);
    let (points, asked) = draws(n, queries, &mut rng, &vocabulary);
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new((n + queries) as u64).with_message("embedding titles");
    let embed = async |draws: &[Draw]| -> anyhow::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(draws.len());
        for chunk in draws.chunks(256) {
            let texts: Vec<String> = chunk.iter().map(|d| vocabulary.title(*d)).collect();
            out.extend(embedder.embed(&texts).await?);
            bar.inc(chunk.len() as u64);
        }
        Ok(out)
    };
    let points = embed(&points).await?;
    let queries = embed(&asked).await?;
    bar.finish_and_clear();
    Ok(Made {
        how: format!(
            "each title embedded by {} ({:.0} s)",
            embedder.model(),
            started.elapsed().as_secs_f64()
        ),
        points,
        queries,
    })
}

/// The model's vectors of every vocabulary entry, per part of a title.
struct Parts {
    brands: Vec<Vec<f32>>,
    styles: Vec<Vec<f32>>,
    colours: Vec<Vec<f32>>,
    materials: Vec<Vec<f32>>,
    categories: Vec<Vec<f32>>,
}

impl Parts {
    async fn embed(vocabulary: &Vocabulary, embedder: &dyn Embedder) -> anyhow::Result<Self> {
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let categories: Vec<String> = vocabulary
            .categories
            .iter()
            .map(|s| s.to_string())
            .collect();
        Ok(Self {
            brands: embedder.embed(&vocabulary.brands).await?,
            styles: embedder.embed(&strings(STYLES)).await?,
            colours: embedder.embed(&strings(COLOURS)).await?,
            materials: embedder.embed(&strings(MATERIALS)).await?,
            categories: embedder.embed(&categories).await?,
        })
    }

    /// The part vectors of one title, in the order of the weights.
    fn of(&self, d: Draw) -> [&[f32]; 5] {
        [
            &self.brands[d.brand],
            &self.styles[d.style],
            &self.colours[d.colour],
            &self.materials[d.material],
            &self.categories[d.category],
        ]
    }

    /// The weighted sum of a title's parts.
    fn sum(&self, d: Draw, weights: &[f64; 5]) -> Vec<f32> {
        let mut v = vec![0.0f32; DIM];
        for (part, w) in self.of(d).into_iter().zip(weights) {
            for (x, p) in v.iter_mut().zip(part) {
                *x += *w as f32 * p;
            }
        }
        v
    }

    /// A title's vector: its weighted parts, plus what real titles have beyond their
    /// parts, modelled as interactions of each pair of parts (brand with colour, material
    /// with category...): each pair of values picks one of the residuals measured on real
    /// titles, so titles that share a pair share that part of their residual.
    fn compose(&self, d: Draw, weights: &[f64; 5], residuals: &[Vec<f32>]) -> Vec<f32> {
        let mut v = self.sum(d, weights);
        let values = [d.brand, d.style, d.colour, d.material, d.category];
        // Ten pairs, each residual as strong as a whole one: keep the residual's energy.
        let share = 1.0 / (PAIRS as f32).sqrt();
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                let key = [i, values[i], j, values[j]]
                    .iter()
                    .fold(0x9e37_79b9_7f4a_7c15u64, |h, x| mix(h ^ *x as u64));
                if let Some(r) = residuals.get(key as usize % residuals.len().max(1)) {
                    for (x, e) in v.iter_mut().zip(r) {
                        *x += share * e;
                    }
                }
            }
        }
        unit(v)
    }
}

/// Pairs among a title's five parts.
const PAIRS: usize = 10;

/// A 64-bit mixing step (splitmix64's finaliser): nearby inputs, unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Least squares: the weights of the parts that best rebuild the real titles' vectors.
fn fit(parts: &Parts, draws: &[Draw], real: &[Vec<f32>]) -> [f64; 5] {
    let mut a = [[0.0f64; 5]; 5];
    let mut b = [0.0f64; 5];
    // Sums in f64: thousands of products feed each entry.
    let dot64 = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| f64::from(p * q)).sum::<f64>();
    for (d, r) in draws.iter().zip(real) {
        let p = parts.of(*d);
        for (i, pi) in p.iter().enumerate() {
            b[i] += dot64(pi, r);
            for (j, pj) in p.iter().enumerate() {
                a[i][j] += dot64(pi, pj);
            }
        }
    }
    solve(a, b)
}

/// Solves the 5×5 system `a x = b` by Gaussian elimination with partial pivoting.
// Elimination reads as the textbook writes it: with indices.
#[allow(clippy::needless_range_loop)]
fn solve(mut a: [[f64; 5]; 5], mut b: [f64; 5]) -> [f64; 5] {
    for col in 0..5 {
        let pivot = (col..5)
            .max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..5 {
            let f = a[row][col] / a[col][col];
            for k in col..5 {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 5];
    for row in (0..5).rev() {
        let rest: f64 = (row + 1..5).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    x
}

/// Real titles the weights and residuals are measured on.
const FITTED: usize = 2048;

/// Titles composed from the model's vectors of their parts and the residuals of real
/// titles (see `Parts::compose`), weighted as fitted on titles the model embedded whole:
/// the titles' structure at any size. Draws the same titles as `titles`.
pub async fn composed(n: usize, queries: usize, embedder: &dyn Embedder) -> anyhow::Result<Made> {
    let vocabulary = Vocabulary::new();
    let started = Instant::now();
    let parts = Parts::embed(&vocabulary, embedder).await?;
    let (points, asked) = draws(n, queries, &mut Rng(SEED), &vocabulary);
    let mut rng = Rng(SEED ^ 1);
    let sample: Vec<Draw> = (0..FITTED).map(|_| vocabulary.draw(&mut rng)).collect();
    let texts: Vec<String> = sample.iter().map(|d| vocabulary.title(*d)).collect();
    let real = embedder.embed(&texts).await?;
    let weights = fit(&parts, &sample, &real);
    let residuals: Vec<Vec<f32>> = sample
        .iter()
        .zip(&real)
        .map(|(d, r)| {
            let fitted = parts.sum(*d, &weights);
            r.iter().zip(fitted).map(|(x, f)| x - f).collect()
        })
        .collect();
    // The share of the real vectors (each of length 1) that the weighted parts explain.
    let unexplained: f32 = residuals.iter().map(|r| dot(r, r)).sum();
    let explained = 1.0 - f64::from(unexplained) / real.len() as f64;
    Ok(Made {
        how: format!(
            "{} categories × {} brands × {} styles × {} colours × {} materials; parts embedded by {}, \
             weighted {:.2?} (fitted to {FITTED} whole titles, R² {:.2}), plus their residuals as \
             pair interactions ({:.0} s)",
            vocabulary.categories.len(),
            vocabulary.brands.len(),
            STYLES.len(),
            COLOURS.len(),
            MATERIALS.len(),
            embedder.model(),
            weights,
            explained,
            started.elapsed().as_secs_f64()
        ),
        points: points
            .iter()
            .map(|d| parts.compose(*d, &weights, &residuals))
            .collect(),
        queries: asked
            .iter()
            .map(|d| parts.compose(*d, &weights, &residuals))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_linear_system() {
        let mut a = [[0.0; 5]; 5];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = if i == j {
                    4.0
                } else {
                    1.0 / (1 + i + j) as f64
                };
            }
        }
        let want = [1.0, -2.0, 0.5, 3.0, 0.0];
        let b: [f64; 5] = std::array::from_fn(|i| (0..5).map(|j| a[i][j] * want[j]).sum());
        let got = solve(a, b);
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?}");
        }
    }

    #[test]
    fn a_variation_is_nearer_than_another_product() {
        let vocabulary = Vocabulary::new();
        let mut rng = Rng(11);
        let mut random = |n: usize| -> Vec<Vec<f32>> {
            (0..n)
                .map(|_| unit((0..DIM).map(|_| rng.next()).collect()))
                .collect()
        };
        let parts = Parts {
            brands: random(vocabulary.brands.len()),
            styles: random(STYLES.len()),
            colours: random(COLOURS.len()),
            materials: random(MATERIALS.len()),
            categories: random(vocabulary.categories.len()),
        };
        let residuals: Vec<Vec<f32>> = random(64)
            .into_iter()
            .map(|r| r.iter().map(|x| x * 0.6).collect())
            .collect();
        let weights = [0.2, 0.1, 0.2, 0.3, 0.6];
        let mut rng = Rng(5);
        let d = vocabulary.draw(&mut rng);
        let v = variation(d, &mut rng, &vocabulary);
        let other = vocabulary.draw(&mut rng);
        let vector = |x: Draw| parts.compose(x, &weights, &residuals);
        let (a, b, c) = (vector(d), vector(v), vector(other));
        assert!((dot(&a, &a) - 1.0).abs() < 1e-4);
        assert!(
            dot(&a, &b) > dot(&a, &c) + 0.2,
            "{} vs {}",
            dot(&a, &b),
            dot(&a, &c)
        );
        // The same title always gets the same vector.
        assert_eq!(vector(d), a);
    }

    #[test]
    fn titles_name_every_part() {
        let vocabulary = Vocabulary::new();
        let mut rng = Rng(3);
        let d = vocabulary.draw(&mut rng);
        let title = vocabulary.title(d);
        assert!(
            title.contains(COLOURS[d.colour]) && title.ends_with(vocabulary.categories[d.category])
        );
        let v = variation(d, &mut rng, &vocabulary);
        assert_eq!(
            (v.category, v.material, v.style),
            (d.category, d.material, d.style)
        );
        assert!(vocabulary.categories.len() > 5_000);
    }
}
