//! ISO/IEC 7064 check character systems (adopted in China as GB/T 17710):
//! the hybrid MOD 37,36 of GB/T 36904 e-license identifiers and the pure
//! MOD 11-2 of GB 11643 citizen identity numbers.

/// The MOD 37,36 alphabet, in value order: '0' is 0, 'Z' is 35.
const ALPHANUMERIC: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The value of a character in the MOD 37,36 alphabet (digits and capital
/// letters only: the identifiers are written in upper case, so a lower-case
/// letter is a different identifier, not the same one).
pub fn alphanumeric_value(c: char) -> Option<u32> {
    // Arithmetic rather than a search of ALPHANUMERIC: every identifier's
    // check runs this over some sixty characters, on every verification.
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        _ => None,
    }
}

/// The ISO/IEC 7064 MOD 37,36 check character of `data`, or `None` when a
/// character is outside the alphabet.
///
/// ISO/IEC 7064:2003 clause 10 (hybrid systems), with M = 36: start with
/// P = M; for each character a, left to right, S = P + value(a), then
/// P = (2 × (S mod M, written M when it is 0)) mod (M + 1). The check
/// character is the a₁ for which (P + a₁) mod M = 1, i.e.
/// (M + 1 − P) mod M. A hybrid system's check character is always one of
/// the M data characters: unlike the pure MOD 37-2, MOD 37,36 never needs a
/// supplementary `*`.
pub fn mod37_36(data: &str) -> Option<char> {
    const M: u32 = 36;
    let mut p = M;
    for c in data.chars() {
        let s = (p + alphanumeric_value(c)?) % M;
        p = (2 * if s == 0 { M } else { s }) % (M + 1);
    }
    Some(ALPHANUMERIC[((M + 1 - p) % M) as usize] as char)
}

/// The ISO/IEC 7064 MOD 11-2 check character of a string of decimal digits
/// (`0`–`9` or `X` for 10), or `None` when a character is not a digit.
///
/// Clause 7 (pure systems, one check character), radix 2, modulus 11:
/// P = 0; for each digit d, P = ((P + d) × 2) mod 11; the check value is
/// (12 − P) mod 11, which makes the weighted sum ≡ 1 (mod 11).
pub fn mod11_2(digits: &str) -> Option<char> {
    let mut p = 0;
    for c in digits.chars() {
        p = ((p + c.to_digit(10)?) * 2) % 11;
    }
    match (12 - p) % 11 {
        10 => Some('X'),
        v => char::from_digit(v, 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_alphabet_and_nothing_else_has_one() {
        for (v, &c) in ALPHANUMERIC.iter().enumerate() {
            assert_eq!(alphanumeric_value(c as char), Some(v as u32));
        }
        for c in
            (0..=0x2FFu32).filter_map(char::from_u32).filter(|c| !ALPHANUMERIC.contains(&(*c as u8)) || !c.is_ascii())
        {
            assert_eq!(alphanumeric_value(c), None, "{c:?}");
        }
    }

    #[test]
    fn mod37_36_matches_published_check_characters() {
        // Values published with open ISO 7064 implementations.
        assert_eq!(mod37_36("A12425GABC1234002"), Some('M'));
        assert_eq!(mod37_36("RABD"), Some('A'));
        assert_eq!(mod37_36("9"), Some('J'));
        assert_eq!(mod37_36("a"), None);
        assert_eq!(mod37_36("*"), None);
    }

    #[test]
    fn mod11_2_matches_the_gb_11643_example() {
        assert_eq!(mod11_2("11010519491231002"), Some('X'));
        assert_eq!(mod11_2("1101051949123100A"), None);
    }
}
