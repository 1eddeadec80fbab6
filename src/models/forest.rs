//! Random forest of CART trees (Gini), written here for speed: smartcore's forest took 4.3 s
//! natively and 13 s in the page for 100 trees on the real table, because it sorts and scans
//! every feature at every node. Here each feature is cut once into at most 256 bins (every
//! distinct value where there are fewer, so the splits are exact on discrete columns), and a
//! node's best split is found from per-bin class counts.
//!
//! As scikit-learn's `RandomForestClassifier`: bootstrap samples, √d features tried per split
//! (more when none of them separates the node), grown until leaves are pure, and the churn
//! probability is the mean over trees of the leaf's class share. Each tree's bootstrap sample
//! has at most [`MAX_SAMPLE`] rows (scikit-learn's `max_samples`), so that beyond that a
//! tree's growth, size and depth stop growing with the table (said in the report).

use super::trees::{Ensemble, MAX_BINS, Node, Tree, bin_edges, bin_of};
use super::{Blobs, Saved, cpu_classifier};
use crate::Error;
use crate::matrix::Matrix;
use crate::rng::Rng;

/// Rows a tree's bootstrap sample draws at most. Measured before this cap (no cap), generated
/// table: 100,000 rows fit 2.06 s, predict 0.96 s; 1,000,000 rows fit 56.3 s, predict 37.9 s
/// (27× and 39× for 10× the rows: trees of 700,000-row samples, out of cache).
pub const MAX_SAMPLE: usize = 100_000;

/// The training rows, binned column by column.
struct Binned<'a> {
    /// `codes[j * rows + i]`: bin of row `i` in feature `j`.
    codes: Vec<u8>,
    edges: Vec<Vec<f32>>,
    rows: usize,
    y: &'a [bool],
}

/// Best split found so far: (Gini decrease × weight, feature, bin).
type Best = Option<(f64, usize, usize)>;

impl<'a> Binned<'a> {
    fn new(x: &Matrix, y: &'a [bool]) -> Self {
        let d = x.cols;
        let edges: Vec<Vec<f32>> = (0..d).map(|j| bin_edges(x, j)).collect();
        let mut codes = vec![0u8; d * x.rows];
        for (j, e) in edges.iter().enumerate() {
            for i in 0..x.rows {
                codes[j * x.rows + i] = bin_of(e, x.data[i * d + j]);
            }
        }
        Binned {
            codes,
            edges,
            rows: x.rows,
            y,
        }
    }

    /// Grows one tree over `sample` (row indices, repeated as bootstrapped).
    fn grow(&self, sample: Vec<u32>, m: usize, rng: &mut Rng) -> Tree {
        let mut nodes = Vec::new();
        // Depth-first with an explicit stack: (node index, its rows).
        nodes.push(Node::Leaf(0.0));
        let mut stack = vec![(0usize, sample)];
        let d = self.edges.len();
        let mut order: Vec<usize> = (0..d).collect();
        let (mut pos, mut all) = (vec![0u32; MAX_BINS], vec![0u32; MAX_BINS]);
        while let Some((at, rows)) = stack.pop() {
            let n = rows.len() as u32;
            let p = rows.iter().filter(|&&i| self.y[i as usize]).count() as u32;
            nodes[at] = Node::Leaf(p as f32 / n as f32);
            if p == 0 || p == n {
                continue;
            }
            // Features in random order; the first m are tried, more only if none splits.
            rng.shuffle(&mut order);
            let mut best: Best = None;
            for (tried, &j) in order.iter().enumerate() {
                if tried >= m && best.is_some() {
                    break;
                }
                let bins = self.edges[j].len() + 1;
                if bins < 2 {
                    continue;
                }
                pos[..bins].fill(0);
                all[..bins].fill(0);
                let codes = &self.codes[j * self.rows..(j + 1) * self.rows];
                for &i in &rows {
                    let b = codes[i as usize] as usize;
                    all[b] += 1;
                    pos[b] += u32::from(self.y[i as usize]);
                }
                // Gini gain ∝ Σ_sides p²/n + q²/n (q = negatives); maximise over cut points.
                let (mut ln, mut lp) = (0u32, 0u32);
                for b in 0..bins - 1 {
                    ln += all[b];
                    lp += pos[b];
                    let (rn, rp) = (n - ln, p - lp);
                    if ln == 0 || rn == 0 {
                        continue;
                    }
                    let side = |k: u32, q: u32| {
                        let (k, q) = (f64::from(k), f64::from(q));
                        (q * q + (k - q) * (k - q)) / k
                    };
                    let score = side(ln, lp) + side(rn, rp);
                    if best.is_none_or(|(s, _, _)| score > s + 1e-12) {
                        best = Some((score, j, b));
                    }
                }
            }
            let parent = {
                let (n, p) = (f64::from(n), f64::from(p));
                (p * p + (n - p) * (n - p)) / n
            };
            let Some((_, j, b)) = best.filter(|(s, _, _)| *s > parent + 1e-9) else {
                continue;
            };
            let codes = &self.codes[j * self.rows..(j + 1) * self.rows];
            let (left, right): (Vec<u32>, Vec<u32>) = rows
                .iter()
                .partition(|&&i| usize::from(codes[i as usize]) <= b);
            let (l, r) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node::Leaf(0.0));
            nodes.push(Node::Leaf(0.0));
            nodes[at] = Node::Split {
                feature: j as u32,
                threshold: self.edges[j][b],
                left: l as u32,
                right: r as u32,
            };
            stack.push((r, right));
            stack.push((l, left));
        }
        Tree { nodes }
    }
}

/// Random forest: `trees` trees, each on its own bootstrap sample, `max_features` tried per split
/// (by default √d).
pub struct Forest {
    trees: u16,
    max_features: Option<usize>,
    fitted: Vec<Tree>,
    /// Training rows of the last fit (0: restored from a model file).
    rows: usize,
}

impl Forest {
    pub fn new(trees: u16, max_features: Option<usize>) -> Self {
        Forest {
            trees,
            max_features,
            fitted: Vec::new(),
            rows: 0,
        }
    }
}

impl Forest {
    /// A forest of `trees` fitted on `x`, `y` at once (for checks that need one on the side).
    pub fn fitted(x: &Matrix, y: &[bool], trees: u16, seed: u64) -> Result<Self, Error> {
        let mut f = Forest::new(trees, None);
        f.train(x, y, seed)?;
        Ok(f)
    }

    fn train(&mut self, x: &Matrix, y: &[bool], seed: u64) -> Result<(), Error> {
        if x.rows == 0 || x.rows != y.len() {
            return Err(Error::input("the forest needs training rows with labels"));
        }
        if self.trees == 0 {
            return Err(Error::config("the forest needs at least one tree"));
        }
        let d = x.cols;
        let binned = Binned::new(x, y);
        let m = self
            .max_features
            .unwrap_or_else(|| (d as f64).sqrt().round() as usize)
            .clamp(1, d.max(1));
        let mut rng = Rng::new(seed ^ 0x5eed_f0e5);
        let n = x.rows.min(MAX_SAMPLE);
        self.fitted = (0..self.trees)
            .map(|_| {
                let sample = (0..n).map(|_| rng.below(x.rows) as u32).collect();
                binned.grow(sample, m, &mut rng)
            })
            .collect();
        self.rows = x.rows;
        Ok(())
    }

    pub fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, Error> {
        if self.fitted.is_empty() {
            return Err(Error::config("the model is not fitted yet"));
        }
        // Tree by tree (each stays in cache while every row goes down it), summed in tree
        // order as before.
        let mut sum = vec![0f64; x.rows];
        for t in &self.fitted {
            for (i, s) in sum.iter_mut().enumerate() {
                *s += f64::from(t.predict(x.row(i)));
            }
        }
        let trees = self.fitted.len() as f64;
        Ok(sum.into_iter().map(|s| s / trees).collect())
    }

    /// What the report should say: the sample each tree grew on, above [`MAX_SAMPLE`] rows.
    fn note(&self) -> Option<String> {
        (self.rows > MAX_SAMPLE).then(|| {
            format!(
                "each random forest tree grew on a bootstrap sample of {MAX_SAMPLE} of the {} training rows",
                self.rows
            )
        })
    }

    /// The trees' nodes in a blob (see [`super::trees::to_bytes`]).
    fn saved(&self, blobs: &mut Blobs) -> Result<Saved, Error> {
        if self.fitted.is_empty() {
            return Err(Error::config("the model is not fitted yet"));
        }
        Ok(Saved::RandomForest {
            trees: self.fitted.iter().map(|t| t.nodes.len()).collect(),
            nodes: blobs.push(super::trees::to_bytes(&self.fitted)),
        })
    }

    /// The forest of a model file, every node checked.
    pub fn restore(trees: &[usize], bytes: &[u8], inputs: usize) -> Result<Forest, Error> {
        let fitted = super::trees::from_bytes(trees, bytes, inputs, "random forest")?;
        Ok(Forest {
            trees: fitted.len() as u16,
            max_features: None,
            fitted,
            rows: 0,
        })
    }
}

impl Forest {
    pub(crate) fn attribution(&self) -> Option<super::Attribution<'_>> {
        (!self.fitted.is_empty()).then_some(super::Attribution::Trees(Ensemble {
            trees: &self.fitted,
            mean: true,
            offset: 0.0,
        }))
    }
}

cpu_classifier!(Forest, {
    fn attribution(&self) -> Option<super::Attribution<'_>> {
        self.attribution()
    }

    fn note(&self) -> Option<String> {
        self.note()
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::matrix;

    #[test]
    fn bins_are_exact_for_few_values_and_quantiles_for_many() {
        let x = matrix(&[&[1.0], &[3.0], &[3.0], &[7.0]]);
        assert_eq!(bin_edges(&x, 0), vec![2.0, 5.0]);
        assert_eq!(
            [1.0, 2.0, 3.0, 5.0, 6.0, 9.0].map(|v| bin_of(&[2.0, 5.0], v)),
            [0, 0, 1, 1, 2, 2]
        );
        let many = Matrix {
            rows: 1000,
            cols: 1,
            data: (0..1000).map(|i| i as f32).collect(),
        };
        let e = bin_edges(&many, 0);
        assert_eq!(e.len(), MAX_BINS - 1);
        assert!(e.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn one_tree_on_all_rows_separates_a_threshold_exactly() {
        // y = x0 > 2.5, x1 is noise: a single split on x0 at 2.5 (the midpoint).
        let x = matrix(&[
            &[1.0, 5.0],
            &[2.0, 1.0],
            &[3.0, 4.0],
            &[4.0, 2.0],
            &[5.0, 3.0],
        ]);
        let y = [false, false, true, true, true];
        let tree = Binned::new(&x, &y).grow((0..5).collect(), 2, &mut Rng::new(1));
        assert!(matches!(
            tree.nodes[0],
            Node::Split { feature: 0, threshold, .. } if threshold == 2.5
        ));
        assert_eq!(tree.nodes.len(), 3);
        assert_eq!(tree.predict(&[2.4, 0.0]), 0.0);
        assert_eq!(tree.predict(&[2.6, 0.0]), 1.0);
    }

    #[test]
    fn a_constant_or_unsplittable_node_is_a_leaf_with_its_class_share() {
        let x = matrix(&[&[1.0], &[1.0], &[1.0], &[1.0]]);
        let mut f = Forest::new(3, None);
        f.train(&x, &[true, false, false, false], 0).unwrap();
        let p = f.probabilities(&x).unwrap();
        assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v) && v == p[0]));
    }
}
