//! Gradient-boosted trees, LightGBM-style, written here: no maintained pure-Rust GBDT builds for
//! wasm32 without patches (`forust-ml` and `perpetual` need threads and `Instant::now()`; the
//! LightGBM and XGBoost crates bind C++). Binary log-loss with second-order gradients; each
//! feature cut once into at most 256 bins (exact on discrete columns, as the forest's); trees
//! grown leaf-wise (the leaf with the largest gain splits next, up to `max_leaves`) from per-bin
//! gradient histograms, the larger child's histogram as the parent's minus the smaller's;
//! shrinkage, row and feature subsampling per tree, an L2 penalty on leaf values. The leaves
//! per tree and the rounds are chosen on validation rows carved (stratified) from the training
//! rows (early stopping on their log-loss), then the trees are fitted again on every training
//! row.

use serde::{Deserialize, Serialize};

use super::trees::{Ensemble, MAX_BINS, Node, Tree, bin_edges, bin_of};
use super::{Blobs, Saved, cpu_classifier, sigmoid};
use crate::Error;
use crate::matrix::Matrix;
use crate::rng::Rng;

/// Settings of gradient boosting; each may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoostOptions {
    /// Shrinkage of every tree's leaf values.
    pub learning_rate: f64,
    /// Most boosting rounds (trees); early stopping usually ends sooner.
    pub rounds: usize,
    /// Leaves per tree (leaf-wise growth).
    pub max_leaves: usize,
    /// Fewest training rows in a leaf.
    pub min_leaf: usize,
    /// L2 penalty on leaf values (LightGBM's `lambda_l2`).
    pub l2: f64,
    /// Share of the rows each tree sees (drawn per tree).
    pub row_fraction: f64,
    /// Share of the features each tree may split on (drawn per tree).
    pub feature_fraction: f64,
    /// Share of the training rows held out for early stopping (stratified).
    pub validation_fraction: f64,
    /// Stop when the validation log-loss has not improved for this many rounds.
    pub patience: usize,
    /// Choose the leaves per tree among 15, 31 and 63 on the validation rows (else
    /// `max_leaves`).
    pub choose_leaves: bool,
}

impl Default for BoostOptions {
    fn default() -> Self {
        BoostOptions {
            learning_rate: 0.1,
            rounds: 500,
            max_leaves: 31,
            min_leaf: 20,
            l2: 1.0,
            row_fraction: 0.8,
            feature_fraction: 0.8,
            validation_fraction: 0.1,
            patience: 50,
            choose_leaves: true,
        }
    }
}

/// Gradient-boosted trees for the churn log-odds.
pub struct Boosting {
    opts: BoostOptions,
    trees: Vec<Tree>,
    /// The log-odds before any tree: the training rows' churn rate.
    offset: f64,
    /// Leaves per tree and rounds chosen on the validation rows.
    chosen: Option<(usize, usize)>,
}

impl Boosting {
    pub fn new(opts: BoostOptions) -> Self {
        Boosting {
            opts,
            trees: Vec::new(),
            offset: 0.0,
            chosen: None,
        }
    }

    pub fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, Error> {
        if self.trees.is_empty() {
            return Err(Error::config("the model is not fitted yet"));
        }
        Ok(self.ensemble().raw(x).into_iter().map(sigmoid).collect())
    }

    fn ensemble(&self) -> Ensemble<'_> {
        Ensemble {
            trees: &self.trees,
            mean: false,
            offset: self.offset,
        }
    }

    pub(crate) fn attribution(&self) -> Option<super::Attribution<'_>> {
        (!self.trees.is_empty()).then(|| super::Attribution::Trees(self.ensemble()))
    }

    /// The trees in a blob (see [`super::trees::to_bytes`]), with the offset.
    fn saved(&self, blobs: &mut Blobs) -> Result<Saved, Error> {
        if self.trees.is_empty() {
            return Err(Error::config("the model is not fitted yet"));
        }
        Ok(Saved::GradientBoosting {
            trees: self.trees.iter().map(|t| t.nodes.len()).collect(),
            nodes: blobs.push(super::trees::to_bytes(&self.trees)),
            offset: self.offset,
        })
    }

    /// The boosted trees of a model file, every node checked.
    pub fn restore(
        trees: &[usize],
        bytes: &[u8],
        offset: f64,
        inputs: usize,
    ) -> Result<Boosting, Error> {
        if !offset.is_finite() {
            return Err(Error::input(
                "the model file's gradient boosting is damaged",
            ));
        }
        Ok(Boosting {
            opts: BoostOptions::default(),
            trees: super::trees::from_bytes(trees, bytes, inputs, "gradient boosting")?,
            offset,
            chosen: None,
        })
    }

    /// Chooses the leaves per tree and the number of rounds on the validation rows (the
    /// lowest validation log-loss of each candidate, early-stopped), then fits again on every
    /// training row with those settings.
    fn train(&mut self, x: &Matrix, y: &[bool], seed: u64) -> Result<(), Error> {
        if x.rows == 0 || x.rows != y.len() {
            return Err(Error::input("boosting needs training rows with labels"));
        }
        let (fit, val) = carve(y, self.opts.validation_fraction, seed)?;
        let bins = Bins::new(x);
        let all: Vec<usize> = (0..x.rows).collect();
        if val.is_empty() {
            (self.offset, self.trees, _) = boost(&bins, x, y, &all, &[], &self.opts, seed);
            return Ok(());
        }
        let candidates: Vec<usize> = if self.opts.choose_leaves {
            LEAF_CHOICES.to_vec()
        } else {
            vec![self.opts.max_leaves]
        };
        let mut best: Option<(f64, usize, usize)> = None;
        for leaves in candidates {
            let o = BoostOptions {
                max_leaves: leaves,
                ..self.opts.clone()
            };
            let (_, trees, loss) = boost(&bins, x, y, &fit, &val, &o, seed);
            if best.is_none_or(|(l, _, _)| loss < l) {
                best = Some((loss, leaves, trees.len()));
            }
        }
        let (_, leaves, rounds) = best.expect("at least one candidate");
        // Every training row, for the chosen rounds scaled to the larger sample.
        let o = BoostOptions {
            max_leaves: leaves,
            rounds: ((rounds as f64) * x.rows as f64 / fit.len() as f64).ceil() as usize,
            ..self.opts.clone()
        };
        (self.offset, self.trees, _) = boost(&bins, x, y, &all, &[], &o, seed);
        self.chosen = Some((leaves, o.rounds));
        Ok(())
    }

    /// The leaves per tree and rounds the last fit chose on its validation rows.
    pub fn chosen(&self) -> Option<(usize, usize)> {
        self.chosen
    }
}

/// Leaves per tree tried on the validation rows (`choose_leaves`).
const LEAF_CHOICES: [usize; 3] = [15, 31, 63];

/// Boosting on the rows `fit`, early-stopped on the rows `val` (none: every round): the offset,
/// the trees up to the best round and their validation log-loss (infinite without `val`).
fn boost(
    bins: &Bins,
    x: &Matrix,
    y: &[bool],
    fit: &[usize],
    val: &[usize],
    o: &BoostOptions,
    seed: u64,
) -> (f64, Vec<Tree>, f64) {
    let positives = fit.iter().filter(|&&i| y[i]).count() as f64;
    let rate = ((positives + 0.5) / (fit.len() as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    let offset = (rate / (1.0 - rate)).ln();
    let mut margin = vec![offset; x.rows];
    let mut rng = Rng::new(seed ^ 0x0B00_57ED);
    let mut trees = Vec::new();
    let (mut best, mut best_round, mut since) = (f64::INFINITY, 0, 0);
    for round in 1..=o.rounds {
        let (tree, leaves) = grow(bins, y, &margin, fit, o, &mut rng);
        // The rows the tree saw take their leaf's value; the others go down the tree.
        let mut seen = vec![false; x.rows];
        for (rows, value) in leaves {
            for i in rows {
                margin[i as usize] += f64::from(value);
                seen[i as usize] = true;
            }
        }
        for (i, m) in margin.iter_mut().enumerate() {
            if !seen[i] {
                *m += f64::from(tree.predict(x.row(i)));
            }
        }
        trees.push(tree);
        if val.is_empty() {
            best_round = round;
            continue;
        }
        let loss = log_loss(val, y, &margin);
        if loss < best - 1e-9 {
            (best, best_round, since) = (loss, round, 0);
        } else {
            since += 1;
            if since >= o.patience {
                break;
            }
        }
    }
    trees.truncate(best_round.max(1));
    (offset, trees, best)
}

cpu_classifier!(Boosting, attributed);

fn log_loss(rows: &[usize], y: &[bool], margin: &[f64]) -> f64 {
    let sum: f64 = rows
        .iter()
        .map(|&i| {
            let p = sigmoid(margin[i]).clamp(1e-12, 1.0 - 1e-12);
            if y[i] { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    sum / rows.len().max(1) as f64
}

/// The rows that fit and the rows that decide when to stop: none held out from a table too
/// small or of one class.
fn carve(y: &[bool], fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), Error> {
    let both = y.iter().any(|&b| b) && y.iter().any(|&b| !b);
    let fraction = if y.len() < 20 || !both { 0.0 } else { fraction };
    super::validation_split(y, fraction, seed)
}

/// Every feature's bin edges and every row's bin, row by row (a row's codes share a cache line).
struct Bins {
    edges: Vec<Vec<f32>>,
    /// `codes[i * cols + j]`.
    codes: Vec<u8>,
    cols: usize,
    /// Where each feature's bins start in a histogram.
    start: Vec<usize>,
}

impl Bins {
    fn new(x: &Matrix) -> Bins {
        let edges: Vec<Vec<f32>> = (0..x.cols).map(|j| bin_edges(x, j)).collect();
        let codes = x
            .data
            .chunks(x.cols.max(1))
            .flat_map(|row| row.iter().zip(&edges).map(|(&v, e)| bin_of(e, v)))
            .collect();
        let mut start = Vec::with_capacity(x.cols + 1);
        let mut at = 0;
        for e in &edges {
            start.push(at);
            at += (e.len() + 1).min(MAX_BINS);
        }
        start.push(at);
        Bins {
            edges,
            codes,
            cols: x.cols,
            start,
        }
    }

    fn code(&self, j: usize, i: usize) -> usize {
        usize::from(self.codes[i * self.cols + j])
    }

    fn row(&self, i: usize) -> &[u8] {
        &self.codes[i * self.cols..(i + 1) * self.cols]
    }
}

/// Per bin of every feature: sums of gradients and hessians, and rows.
type Histogram = Vec<(f64, f64, u32)>;

/// A leaf still growing: its rows, their sums and histogram, and its best split.
struct Leaf {
    node: usize,
    rows: Vec<u32>,
    sums: (f64, f64),
    hist: Histogram,
    split: Option<Split>,
}

#[derive(Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: usize,
}

/// What growing one tree reads: gradients and hessians of every row, the settings, the
/// features this tree may use.
struct Grower<'a> {
    bins: &'a Bins,
    /// Gradient and hessian of each row (zero for rows this tree does not see).
    gh: Vec<(f64, f64)>,
    opts: &'a BoostOptions,
    features: Vec<usize>,
}

impl Grower<'_> {
    fn histogram(&self, rows: &[u32]) -> Histogram {
        let mut hist = vec![(0.0, 0.0, 0u32); *self.bins.start.last().unwrap_or(&0)];
        for &i in rows {
            let (g, h) = self.gh[i as usize];
            let codes = self.bins.row(i as usize);
            for &j in &self.features {
                let e = &mut hist[self.bins.start[j] + usize::from(codes[j])];
                e.0 += g;
                e.1 += h;
                e.2 += 1;
            }
        }
        hist
    }

    fn score(&self, g: f64, h: f64) -> f64 {
        g * g / (h + self.opts.l2)
    }

    /// The best split of a leaf with these sums and histogram, if one gains anything.
    fn best(&self, sums: (f64, f64), n: usize, hist: &Histogram) -> Option<Split> {
        let parent = self.score(sums.0, sums.1);
        let min = self.opts.min_leaf.max(1) as u32;
        let mut best: Option<Split> = None;
        for &j in &self.features {
            let (lo, hi) = (self.bins.start[j], self.bins.start[j + 1]);
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
            for (b, &(g, h, c)) in hist[lo..hi.saturating_sub(1)].iter().enumerate() {
                (gl, hl, nl) = (gl + g, hl + h, nl + c);
                let nr = n as u32 - nl;
                if nl < min || nr < min {
                    continue;
                }
                let (gr, hr) = (sums.0 - gl, sums.1 - hl);
                if hl < 1e-3 || hr < 1e-3 {
                    continue;
                }
                let gain = self.score(gl, hl) + self.score(gr, hr) - parent;
                if gain > 1e-9 && best.is_none_or(|s| gain > s.gain) {
                    best = Some(Split {
                        gain,
                        feature: j,
                        bin: b,
                    });
                }
            }
        }
        best
    }

    fn leaf(&self, node: usize, rows: Vec<u32>, hist: Histogram) -> Leaf {
        let sums = rows.iter().fold((0.0, 0.0), |(g, h), &i| {
            let (gi, hi) = self.gh[i as usize];
            (g + gi, h + hi)
        });
        let split = self.best(sums, rows.len(), &hist);
        Leaf {
            node,
            rows,
            sums,
            hist,
            split,
        }
    }

    fn value(&self, sums: (f64, f64)) -> f32 {
        (-sums.0 / (sums.1 + self.opts.l2) * self.opts.learning_rate) as f32
    }
}

impl<'a> Grower<'a> {
    /// The rows and features one tree sees (a share of `fit` and of the features, drawn from
    /// `rng`), with the gradients of `margin` on those rows.
    fn draw(
        bins: &'a Bins,
        y: &[bool],
        margin: &[f64],
        fit: &[usize],
        o: &'a BoostOptions,
        rng: &mut Rng,
    ) -> (Grower<'a>, Vec<u32>) {
        let rows: Vec<u32> = fit
            .iter()
            .filter(|_| o.row_fraction >= 1.0 || rng.uniform() < o.row_fraction)
            .map(|&i| i as u32)
            .collect();
        let mut gh = vec![(0.0, 0.0); margin.len()];
        for &i in &rows {
            let p = sigmoid(margin[i as usize]);
            let g = p - f64::from(u8::from(y[i as usize]));
            gh[i as usize] = (g, (p * (1.0 - p)).max(1e-16));
        }
        let cols = bins.cols;
        let mut features: Vec<usize> = (0..cols).collect();
        rng.shuffle(&mut features);
        features.truncate(((cols as f64 * o.feature_fraction).ceil() as usize).clamp(1, cols));
        features.sort_unstable();
        let grower = Grower {
            bins,
            gh,
            opts: o,
            features,
        };
        (grower, rows)
    }

    /// Splits `leaf` by its best split into two new nodes of `nodes`: the children as leaves.
    /// The smaller child's histogram is counted; the larger's is the parent's minus it.
    fn split(&self, leaf: Leaf, s: Split, nodes: &mut Vec<Node>) -> [Leaf; 2] {
        let (left, right): (Vec<u32>, Vec<u32>) = leaf
            .rows
            .iter()
            .partition(|&&i| self.bins.code(s.feature, i as usize) <= s.bin);
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.extend([Node::Leaf(0.0), Node::Leaf(0.0)]);
        nodes[leaf.node] = Node::Split {
            feature: s.feature as u32,
            threshold: self.bins.edges[s.feature][s.bin],
            left: l as u32,
            right: r as u32,
        };
        let small_left = left.len() <= right.len();
        let small = self.histogram(if small_left { &left } else { &right });
        let large: Histogram = leaf
            .hist
            .iter()
            .zip(&small)
            .map(|(p, c)| (p.0 - c.0, p.1 - c.1, p.2 - c.2))
            .collect();
        let (hl, hr) = if small_left {
            (small, large)
        } else {
            (large, small)
        };
        [self.leaf(l, left, hl), self.leaf(r, right, hr)]
    }
}

/// One tree fitted to the gradients of `margin` on the rows `fit` (see [`Grower::draw`]), and
/// the rows it saw with the leaf value each fell into. Leaf-wise: the leaf of the largest gain
/// splits next, up to `max_leaves`.
fn grow(
    bins: &Bins,
    y: &[bool],
    margin: &[f64],
    fit: &[usize],
    o: &BoostOptions,
    rng: &mut Rng,
) -> (Tree, Vec<(Vec<u32>, f32)>) {
    let (grower, rows) = Grower::draw(bins, y, margin, fit, o, rng);
    let mut nodes = vec![Node::Leaf(0.0)];
    let hist = grower.histogram(&rows);
    let mut leaves = vec![grower.leaf(0, rows, hist)];
    while leaves.len() < o.max_leaves.max(2) {
        let gain = |k: usize| leaves[k].split.map_or(0.0, |s| s.gain);
        let Some(k) = (0..leaves.len())
            .filter(|&k| leaves[k].split.is_some())
            .max_by(|&a, &b| gain(a).total_cmp(&gain(b)))
        else {
            break;
        };
        let leaf = leaves.swap_remove(k);
        let s = leaf.split.expect("chosen for its split");
        leaves.extend(grower.split(leaf, s, &mut nodes));
    }
    let leaves: Vec<(Vec<u32>, f32)> = leaves
        .into_iter()
        .map(|leaf| {
            let value = grower.value(leaf.sums);
            nodes[leaf.node] = Node::Leaf(value);
            (leaf.rows, value)
        })
        .collect();
    (Tree { nodes }, leaves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{fit, proba};

    fn data(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = Rng::new(seed);
        let mut data = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let (a, b) = (rng.normal() as f32, rng.normal() as f32);
            // An interaction no single split finds: churn where a and b have the same sign.
            y.push((a > 0.0) == (b > 0.0));
            data.extend([a, b, rng.normal() as f32]);
        }
        (
            Matrix {
                rows: n,
                cols: 3,
                data,
            },
            y,
        )
    }

    #[test]
    fn boosting_learns_an_interaction_and_round_trips_through_a_model_file() {
        let (x, y) = data(2000, 1);
        let mut m = Boosting::new(BoostOptions::default());
        fit(&mut m, &x, &y, 0).unwrap();
        let (xt, yt) = data(1000, 2);
        let p = proba(&m, &xt).unwrap();
        let acc = p
            .iter()
            .zip(&yt)
            .filter(|(p, y)| (**p >= 0.5) == **y)
            .count() as f64
            / 1000.0;
        assert!(acc > 0.93, "accuracy {acc}");
        let (leaves, rounds) = m.chosen().expect("chosen on validation rows");
        assert!(LEAF_CHOICES.contains(&leaves), "{leaves} leaves");
        assert_eq!(m.trees.len(), rounds);
        let mut blobs = Blobs::default();
        let Saved::GradientBoosting {
            trees,
            nodes,
            offset,
        } = m.saved(&mut blobs).unwrap()
        else {
            panic!("boosting saves as boosting");
        };
        let back = Boosting::restore(&trees, blobs.get(nodes).unwrap(), offset, 3).unwrap();
        assert_eq!(back.probabilities(&xt).unwrap(), p);
        assert!(Boosting::restore(&trees, blobs.get(nodes).unwrap(), offset, 2).is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_trees() {
        let (x, y) = data(500, 3);
        let mut a = Boosting::new(BoostOptions::default());
        let mut b = Boosting::new(BoostOptions::default());
        fit(&mut a, &x, &y, 7).unwrap();
        fit(&mut b, &x, &y, 7).unwrap();
        assert_eq!(a.trees, b.trees);
    }
}
