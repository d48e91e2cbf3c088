//! A set of issue numbers, as compact as GitHub's numbering is dense.
//!
//! A repository numbers its issues and pull requests together from 1 with few gaps, so the
//! integrity scanner's sets (every number listed, the issues, the pull requests, the managed
//! issues, GraphQL's numbers) are bitsets: 12.5 KB each at 100,000, where a `BTreeSet<u64>`
//! took about 1.4 MB. Numbers from [`DENSE_LIMIT`] up, which no repository has yet but a
//! server may send, are kept in a `BTreeSet` beside the bits, so that no number makes the set
//! larger than 2 MB of bits plus what it holds.
//!
//! `roaring` is the crate made for compressed integer sets; its 0.12 pulls in five more crates
//! (a SIMD layer and a proc macro among them) for what needs insert, membership and ascending
//! iteration over one dense range, which is this page.

use std::collections::BTreeSet;

/// Numbers below this are bits: 2 MB of them at most.
pub const DENSE_LIMIT: u64 = 1 << 24;

/// A set of issue numbers, iterated in ascending order. Numbers are only added.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Numbers {
    /// Bit `n % 64` of word `n / 64` says whether `n` (below [`DENSE_LIMIT`]) is in the set.
    bits: Vec<u64>,
    /// The numbers from [`DENSE_LIMIT`] up.
    sparse: BTreeSet<u64>,
    len: usize,
}

impl Numbers {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `n`; false when it was there already.
    pub fn insert(&mut self, n: u64) -> bool {
        let added = if n < DENSE_LIMIT {
            let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
            if word >= self.bits.len() {
                self.bits.resize(word + 1, 0);
            }
            let was = self.bits[word] & bit != 0;
            self.bits[word] |= bit;
            !was
        } else {
            self.sparse.insert(n)
        };
        self.len += usize::from(added);
        added
    }

    /// True when `n` is in the set.
    pub fn contains(&self, n: u64) -> bool {
        if n < DENSE_LIMIT {
            self.bits
                .get((n / 64) as usize)
                .is_some_and(|w| w & (1u64 << (n % 64)) != 0)
        } else {
            self.sparse.contains(&n)
        }
    }

    /// How many numbers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The numbers, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        let dense = self.bits.iter().enumerate().flat_map(|(k, &word)| {
            (0..64u64)
                .filter(move |b| word & (1u64 << b) != 0)
                .map(move |b| k as u64 * 64 + b)
        });
        dense.chain(self.sparse.iter().copied())
    }

    /// The highest number.
    pub fn last(&self) -> Option<u64> {
        if let Some(&n) = self.sparse.last() {
            return Some(n);
        }
        let (k, word) = self.bits.iter().enumerate().rev().find(|(_, w)| **w != 0)?;
        Some(k as u64 * 64 + 63 - u64::from(word.leading_zeros()))
    }
}

impl Extend<u64> for Numbers {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, iter: I) {
        for n in iter {
            self.insert(n);
        }
    }
}

impl FromIterator<u64> for Numbers {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        let mut set = Numbers::new();
        set.extend(iter);
        set
    }
}

impl<const N: usize> From<[u64; N]> for Numbers {
    fn from(numbers: [u64; N]) -> Self {
        numbers.into_iter().collect()
    }
}

impl std::fmt::Debug for Numbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_answers_as_a_btreeset_would() {
        let input = [
            5,
            0,
            63,
            64,
            5,
            1_000,
            DENSE_LIMIT - 1,
            DENSE_LIMIT,
            u64::MAX,
            70,
            DENSE_LIMIT,
        ];
        let mut set = Numbers::new();
        let mut model = BTreeSet::new();
        for n in input {
            assert_eq!(set.insert(n), model.insert(n), "insert {n}");
        }
        assert_eq!(set.len(), model.len());
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            model.iter().copied().collect::<Vec<_>>()
        );
        assert_eq!(set.last(), model.last().copied());
        for n in [
            0,
            1,
            5,
            6,
            63,
            64,
            65,
            999,
            1_000,
            DENSE_LIMIT,
            DENSE_LIMIT + 1,
            u64::MAX,
        ] {
            assert_eq!(set.contains(n), model.contains(&n), "contains {n}");
        }
        assert_eq!(format!("{set:?}"), format!("{model:?}"));
    }

    #[test]
    fn empty_dense_and_equal() {
        let empty = Numbers::new();
        assert!(empty.is_empty() && empty.last().is_none() && empty.iter().next().is_none());
        let dense: Numbers = (1..=100_000).collect();
        assert_eq!(dense.len(), 100_000);
        assert_eq!(dense.last(), Some(100_000));
        assert_eq!(dense.iter().next_back(), Some(100_000));
        // 100,000 numbers in 12.5 KB of bits.
        assert!(dense.bits.len() * 8 <= 12_504);
        assert_eq!(Numbers::from([3, 1, 2]), Numbers::from([1, 2, 3, 3]));
        assert_ne!(Numbers::from([1, 2]), Numbers::from([1, 3]));
    }
}
