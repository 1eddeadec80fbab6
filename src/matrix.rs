//! The model inputs, shared by the stages that make them ([`crate::preprocess`]) and the ones
//! that read them ([`crate::models`]): a row-major [`Matrix`] and the [`Layout`] of its columns.

use serde::{Deserialize, Serialize};

/// Row-major matrix of model inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows `idx` of this matrix, in that order.
    pub fn pick(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }

    /// Every row of this matrix dotted with every row of `other` (of the same width): a
    /// `self.rows × other.rows` row-major block, by gemm's SIMD kernels (those burn's CPU
    /// backend multiplies with).
    pub fn dots(&self, other: &Matrix) -> Vec<f32> {
        assert_eq!(self.cols, other.cols, "rows of one width");
        assert_eq!(self.data.len(), self.rows * self.cols);
        assert_eq!(other.data.len(), other.rows * other.cols);
        let (m, n, k) = (self.rows, other.rows, self.cols);
        let mut out = vec![0f32; m * n];
        if m == 0 || n == 0 {
            return out;
        }
        // SAFETY: the pointers and strides describe `self` (m × k, row-major), `other`
        // transposed (k × n: element (p, j) at j·k + p) and `out` (m × n, row-major), all
        // checked above to hold exactly those elements; gemm reads and writes nothing else.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
                1,
                n as isize,
                false,
                self.data.as_ptr(),
                1,
                k as isize,
                other.data.as_ptr(),
                k as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        out
    }

    /// This matrix with the rows of `other` (of the same width) below it.
    pub fn stack(&self, other: &Matrix) -> Matrix {
        debug_assert_eq!(self.cols, other.cols);
        Matrix {
            rows: self.rows + other.rows,
            cols: self.cols,
            data: [self.data.as_slice(), other.data.as_slice()].concat(),
        }
    }

    /// The data as little-endian bytes (for model files).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.data.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// The inverse of [`Matrix::to_bytes`]; `None` when the length does not fit.
    pub fn from_bytes(rows: usize, cols: usize, bytes: &[u8]) -> Option<Matrix> {
        if rows.checked_mul(cols)?.checked_mul(4)? != bytes.len() {
            return None;
        }
        let data = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Some(Matrix { rows, cols, data })
    }
}

/// How the input columns group: each one-hot group (two or more columns) and each 0/1 column
/// (a missing indicator), with the scaling of every input. The GAN's generator heads follow it:
/// a softmax over each group, a sigmoid for each indicator, mapped into the scaled input space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Column ranges of softmax groups (two or more columns) and sigmoid columns (one column),
    /// in column order, not overlapping.
    pub groups: Vec<std::ops::Range<usize>>,
    /// Per model input: scaled = (raw − shift) / scale.
    pub shift: Vec<f32>,
    pub scale: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_every_row_against_every_row() {
        let a = Matrix {
            rows: 3,
            cols: 2,
            data: vec![1.0, 2.0, 0.0, -1.0, 3.0, 0.5],
        };
        let b = Matrix {
            rows: 2,
            cols: 2,
            data: vec![2.0, 1.0, -1.0, 4.0],
        };
        assert_eq!(a.dots(&b), [4.0, 7.0, -1.0, -4.0, 6.5, -1.0]);
        assert!(
            a.dots(&Matrix {
                rows: 0,
                cols: 2,
                data: vec![]
            })
            .is_empty()
        );
    }

    #[test]
    fn pick_stack_and_bytes_round_trip() {
        let m = Matrix {
            rows: 3,
            cols: 2,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, -6.5],
        };
        assert_eq!(m.pick(&[2, 0]).data, [5.0, -6.5, 1.0, 2.0]);
        assert_eq!(m.pick(&[1]).stack(&m.pick(&[0])).data, [3.0, 4.0, 1.0, 2.0]);
        assert_eq!(Matrix::from_bytes(3, 2, &m.to_bytes()), Some(m.clone()));
        assert_eq!(Matrix::from_bytes(2, 2, &m.to_bytes()), None);
    }
}
