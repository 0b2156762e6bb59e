//! The one source of randomness: a tiny seeded PRNG whose algorithm is pinned here
//! (SplitMix64), so a seed gives the same trace on every platform and every build.

/// The alphabet Kubernetes uses for generated names and hashes
/// (k8s.io/apimachinery/pkg/util/rand: consonants and digits, no vowels, no 0/1/3).
pub const K8S_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, good statistical quality, and
/// trivial to port, which matters more here than speed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`; returns 0 for `n == 0`). Uses rejection to
    /// avoid modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// `n` characters from [`K8S_ALPHABET`], as the apiserver appends to a `generateName`.
    pub fn k8s_suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| K8S_ALPHABET[self.below(K8S_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// `n` lowercase hex digits (container and sandbox IDs, event name suffixes).
    pub fn hex(&mut self, n: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..n)
            .map(|_| HEX[self.below(16) as usize] as char)
            .collect()
    }

    /// A version-4-shaped UUID, as the apiserver gives every object.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            ["8", "9", "a", "b"][self.below(4) as usize],
            &h[17..20],
            &h[20..32]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn splitmix64_reference_values() {
        // Reference output of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn suffix_uses_the_kubernetes_alphabet() {
        let mut r = Rng::new(7);
        let s = r.k8s_suffix(5);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|c| K8S_ALPHABET.contains(&c)), "{s}");
    }

    #[test]
    fn uuid_shape() {
        let u = Rng::new(1).uuid();
        let parts: Vec<_> = u.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{u}");
        assert_eq!(&u[14..15], "4");
    }
}
