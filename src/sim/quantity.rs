//! Kubernetes resource quantities (`100m`, `128Mi`, `1.5`, `2e3`), as
//! k8s.io/apimachinery/pkg/api/resource parses them.
//!
//! A quantity is kept as an exact count of milli-units in an `i128`, which covers every
//! value a node or pod can meaningfully hold; larger values are rejected rather than
//! wrapped. `value()` and `milli_value()` round up, as upstream's `Value()`/`MilliValue()` do.

use std::fmt;

/// The message the apiserver gives for a string that is not a quantity
/// (resource.ErrFormatWrong, k8s.io/apimachinery/pkg/api/resource/quantity.go).
pub const ERR_FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// resource.ErrNumeric.
pub const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Quantity {
    milli: i128,
}

impl Quantity {
    pub const ZERO: Quantity = Quantity { milli: 0 };

    pub fn from_milli(milli: i128) -> Self {
        Quantity { milli }
    }

    pub fn from_value(value: i128) -> Self {
        Quantity {
            milli: value.saturating_mul(1000),
        }
    }

    /// Exact milli-units (CPU millicores, or bytes × 1000 for memory).
    pub fn milli_value(&self) -> i128 {
        self.milli
    }

    /// Whole units, rounded up (bytes for memory, cores for CPU).
    pub fn value(&self) -> i128 {
        let q = self.milli.div_euclid(1000);
        if self.milli.rem_euclid(1000) != 0 {
            q + 1
        } else {
            q
        }
    }

    pub fn is_negative(&self) -> bool {
        self.milli < 0
    }

    pub fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity {
            milli: self.milli.saturating_add(other.milli),
        }
    }

    /// Parses a quantity string. Errors carry upstream's messages.
    pub fn parse(text: &str) -> Result<Quantity, &'static str> {
        let s = text.trim();
        if s.is_empty() {
            return Err(ERR_FORMAT_WRONG);
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let negative = match bytes[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let num_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[num_start..i];
        let suffix = &s[i..];
        if number.is_empty() || number.matches('.').count() > 1 || number == "." {
            return Err(ERR_FORMAT_WRONG);
        }
        let (base2, exp) = parse_suffix(suffix).ok_or(ERR_FORMAT_WRONG)?;
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let frac_part = frac_part.trim_end_matches('0');
        // Upstream keeps any magnitude (an inf.Dec; BinarySI capped at 2^63-1), so a value
        // too large for i128 milli-units is held at the largest one instead of refused:
        // `1e400` is a valid quantity that no node can satisfy.
        let largest = Quantity {
            milli: if negative { -i128::MAX } else { i128::MAX },
        };
        // mantissa = digits without the point; scale10 = -len(frac)
        let mut mantissa: i128 = 0;
        for c in int_part.bytes().chain(frac_part.bytes()) {
            match mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add((c - b'0') as i128))
            {
                Some(m) => mantissa = m,
                None => return Ok(largest),
            }
        }
        if mantissa == 0 {
            return Ok(Quantity::ZERO);
        }
        // milli = mantissa * 1000 * base^exp / 10^len(frac), rounded up (upstream rounds
        // any non-zero value up to at least 1n, so a tiny one is still at least 1m here).
        let base: i128 = if base2 { 2 } else { 10 };
        let up = |e: u32| base.checked_pow(e);
        let numerator = mantissa.checked_mul(1000).and_then(|n| {
            if exp >= 0 {
                up(exp.unsigned_abs()).and_then(|f| n.checked_mul(f))
            } else {
                Some(n)
            }
        });
        let Some(numerator) = numerator else {
            return Ok(largest);
        };
        let denominator = 10i128.checked_pow(frac_part.len() as u32).and_then(|d| {
            if exp < 0 {
                up(exp.unsigned_abs()).and_then(|f| d.checked_mul(f))
            } else {
                Some(d)
            }
        });
        let milli = match denominator {
            Some(d) => numerator / d + i128::from(numerator % d != 0),
            None => 1,
        };
        Ok(Quantity {
            milli: if negative { -milli } else { milli },
        })
    }

    /// Reads a quantity from a JSON value: a string, or a bare number as YAML allows
    /// (`example.com/dongle: 3`).
    pub fn from_json(value: &serde_json::Value) -> Result<Quantity, &'static str> {
        match value {
            serde_json::Value::String(s) => Quantity::parse(s),
            serde_json::Value::Number(n) => Quantity::parse(&n.to_string()),
            _ => Err(ERR_FORMAT_WRONG),
        }
    }
}

/// Returns (binary?, exponent) for a suffix: `Ki` = 2^10, `k` = 10^3, `m` = 10^-3, `e3` = 10^3.
fn parse_suffix(suffix: &str) -> Option<(bool, i32)> {
    Some(match suffix {
        "" => (false, 0),
        "Ki" => (true, 10),
        "Mi" => (true, 20),
        "Gi" => (true, 30),
        "Ti" => (true, 40),
        "Pi" => (true, 50),
        "Ei" => (true, 60),
        "n" => (false, -9),
        "u" => (false, -6),
        "m" => (false, -3),
        "k" => (false, 3),
        "M" => (false, 6),
        "G" => (false, 9),
        "T" => (false, 12),
        "P" => (false, 15),
        "E" => (false, 18),
        _ => {
            let rest = suffix.strip_prefix(['e', 'E'])?;
            (false, rest.parse::<i32>().ok()?)
        }
    })
}

impl fmt::Display for Quantity {
    /// Canonical-enough form for messages: millicores as `250m`, whole values bare.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(s: &str) -> i128 {
        Quantity::parse(s).unwrap().milli_value()
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(milli("100m"), 100);
        assert_eq!(milli("1"), 1000);
        assert_eq!(milli("0.5"), 500);
        assert_eq!(milli("1.5"), 1500);
        assert_eq!(milli("100"), 100_000);
        assert_eq!(milli("2e3"), 2_000_000);
    }

    #[test]
    fn memory_forms() {
        assert_eq!(Quantity::parse("128Mi").unwrap().value(), 128 * 1024 * 1024);
        assert_eq!(Quantity::parse("1Gi").unwrap().value(), 1 << 30);
        assert_eq!(Quantity::parse("1000Gi").unwrap().value(), 1000 * (1 << 30));
        assert_eq!(Quantity::parse("150M").unwrap().value(), 150_000_000);
        assert_eq!(Quantity::parse("1k").unwrap().value(), 1000);
    }

    #[test]
    fn rounding_up_like_upstream() {
        assert_eq!(milli("0.0001"), 1);
        assert_eq!(Quantity::parse("1n").unwrap().value(), 1);
    }

    #[test]
    fn rejects_what_upstream_rejects() {
        for bad in ["", "abc", "1Q", "1..2", ".", "Mi", "1 Gi"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn huge_and_tiny_values_are_held_not_refused() {
        // Upstream parses `1e400` (an inf.Dec); no node can hold it.
        let huge = Quantity::parse("1e400").unwrap();
        assert_eq!(huge.milli_value(), i128::MAX);
        assert!(huge > Quantity::parse("1000Pi").unwrap());
        assert!(Quantity::parse("-1e400").unwrap().is_negative());
        assert_eq!(
            Quantity::parse("99999999999999999999999999999999999999999Gi").unwrap(),
            huge
        );
        assert_eq!(milli("1e-400"), 1);
        assert_eq!(
            milli("1.000000000000000000000000000000000000000000000"),
            1000
        );
        assert_eq!(milli("0e400"), 0);
    }

    #[test]
    fn negative_is_parsed_and_flagged() {
        let q = Quantity::parse("-1Gi").unwrap();
        assert!(q.is_negative());
    }

    #[test]
    fn bare_json_numbers_are_quantities() {
        let q = Quantity::from_json(&serde_json::json!(3)).unwrap();
        assert_eq!(q.value(), 3);
    }
}
