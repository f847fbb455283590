//! A set of a cloud's elements (splats, points) as one bit each, in the cloud's order: what a
//! screen selection picks ([`crate::pick::select_in_shape`]), what the viewport highlights and
//! what an edit deletes or separates.

use rayon::prelude::*;

/// One bit per element of a cloud, in the cloud's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElementMask {
    words: Vec<u32>,
    len: usize,
}

impl ElementMask {
    /// `len` elements, none set.
    pub fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(32)],
            len,
        }
    }

    /// `len` elements, all set.
    pub fn full(len: usize) -> Self {
        let mut m = Self {
            words: vec![u32::MAX; len.div_ceil(32)],
            len,
        };
        m.clear_tail();
        m
    }

    /// Elements for which `inside(i)` holds.
    pub fn from_fn(len: usize, inside: impl Fn(usize) -> bool + Sync) -> Self {
        let mut words = vec![0u32; len.div_ceil(32)];
        words.par_iter_mut().enumerate().for_each(|(w, word)| {
            let first = w * 32;
            for bit in 0..32.min(len - first) {
                if inside(first + bit) {
                    *word |= 1 << bit;
                }
            }
        });
        Self { words, len }
    }

    /// How many elements the mask covers (set or not).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> bool {
        i < self.len && self.words[i / 32] & (1 << (i % 32)) != 0
    }

    /// How many elements are set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Sets element `i` (nothing past the end).
    pub fn insert(&mut self, i: usize) {
        if i < self.len {
            self.words[i / 32] |= 1 << (i % 32);
        }
    }

    /// Whether none is set.
    pub fn none(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// The bits, 32 elements per word, element `i` at bit `i % 32` of word `i / 32`; bits past
    /// `len` are zero.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Sets the elements that are not set and clears those that are.
    pub fn invert(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.clear_tail();
    }

    /// Combines `other` (of the same length) into this mask.
    pub fn combine(&mut self, other: &ElementMask, how: Combine) {
        debug_assert_eq!(self.len, other.len);
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a = match how {
                Combine::Replace => *b,
                Combine::Add => *a | *b,
                Combine::Subtract => *a & !*b,
            };
        }
    }

    /// This mask over the elements that an edit keeps, renumbered as the edit does: the
    /// elements `i` where `by.get(i) == keep`, in order (a cloud's `subset`).
    pub fn compact(&self, by: &ElementMask, keep: bool) -> ElementMask {
        let mut out = ElementMask::new((0..self.len).filter(|&i| by.get(i) == keep).count());
        for (next, i) in (0..self.len).filter(|&i| by.get(i) == keep).enumerate() {
            if self.get(i) {
                out.words[next / 32] |= 1 << (next % 32);
            }
        }
        out
    }

    fn clear_tail(&mut self) {
        let rest = self.len % 32;
        if rest != 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1u32 << rest) - 1;
        }
    }
}

/// How a new selection meets the one there is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// The new selection replaces it.
    Replace,
    /// Added to it (Shift).
    Add,
    /// Taken from it (Ctrl).
    Subtract,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_combine_invert_and_keep_their_tail_clear() {
        let a = ElementMask::from_fn(70, |i| i % 2 == 0);
        let b = ElementMask::from_fn(70, |i| i < 10);
        let mut m = a.clone();
        m.combine(&b, Combine::Add);
        assert_eq!(m.count(), 35 + 5);
        let mut m = a.clone();
        m.combine(&b, Combine::Subtract);
        assert_eq!(m.count(), 35 - 5);
        let mut m = a.clone();
        m.combine(&b, Combine::Replace);
        assert_eq!(m, b);
        let mut m = a;
        m.invert();
        assert_eq!(m.count(), 35);
        assert!(m.get(69) && !m.get(68) && !m.get(70));
        assert_eq!(ElementMask::full(70).count(), 70);
        assert_eq!(*ElementMask::full(70).words().last().unwrap(), 0x3f);
        assert!(ElementMask::new(0).none() && ElementMask::full(0).is_empty());
        // Compacted over the kept elements: of 0..70 keep the odd ones (35); of those, the
        // ones set in `b` (i < 10: 1, 3, 5, 7, 9) are the first five.
        let keep = ElementMask::from_fn(70, |i| i % 2 == 1);
        let c = b.compact(&keep, true);
        assert_eq!((c.len(), c.count()), (35, 5));
        assert!(c.get(4) && !c.get(5));
        let c = b.compact(&keep, false);
        assert_eq!((c.len(), c.count()), (35, 5));
    }
}
