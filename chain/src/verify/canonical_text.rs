//! Recognising RFC 8785 (JCS) canonical text as it is, without writing it
//! again, and naming the members of a canonical object by their place in
//! the text.
//!
//! Safebox stores and sends credentials in canonical form. When the text
//! in hand is already canonical, its canonical bytes are the text itself,
//! and the canonical bytes of the object with one member removed are the
//! text with that member cut out (the others keep their order; there is no
//! whitespace to adjust). Verification then hashes slices of the text
//! instead of serialising the document again, which is most of the cost of
//! verifying a credential besides the Ed25519 arithmetic.
//!
//! The recogniser is conservative: anything it is not sure is canonical
//! (a number that is not a small integer, an escape in a key, a key outside
//! ASCII, deep nesting) is reported as not canonical, and the caller takes
//! the general path, which canonicalises with `canonical::to_vec`.

/// A member of a canonical object: its key and where it stands in the text
/// (`start` at the opening quote of the key, `end` just after the value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member<'t> {
    pub key: &'t str,
    pub start: usize,
    pub end: usize,
    /// Where the value starts.
    pub value: usize,
}

impl<'t> Member<'t> {
    /// The member's value, as text.
    pub fn value_text(&self, text: &'t str) -> &'t str {
        &text[self.value..self.end]
    }
}

/// Deepest nesting recognised (serde_json refuses deeper than 128).
const MAX_DEPTH: usize = 64;
/// Longest integer recognised: ES6 prints every integer below 10^21 in
/// plain digits, and 15 digits keep it exact in a double.
const MAX_DIGITS: usize = 15;

/// The members of `text` if it is a JSON object in canonical form
/// (RFC 8785: no whitespace, keys in increasing UTF-16 order and so
/// unique, strings escaped exactly as JCS escapes them), at every depth.
pub(crate) fn canonical_object(text: &str) -> Option<Vec<Member<'_>>> {
    let mut scanner = Scanner { bytes: text.as_bytes(), at: 0 };
    let members = scanner.object(0, true)?;
    (scanner.at == text.len()).then_some(members)
}

/// The canonical text of the object whose canonical text is `text` (with
/// `members` as `canonical_object` found them), without the member `skip`.
pub(crate) fn without_member(text: &str, members: &[Member<'_>], skip: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    out.push(b'{');
    for member in members.iter().filter(|m| m.key != skip) {
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(&text.as_bytes()[member.start..member.end]);
    }
    out.push(b'}');
    out
}

struct Scanner<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// An object; its members are returned only when `collect`.
    fn object(&mut self, depth: usize, collect: bool) -> Option<Vec<Member<'t>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        let mut members = Vec::new();
        let mut previous: Option<&[u8]> = None;
        if self.eat(b'}').is_some() {
            return Some(members);
        }
        loop {
            let start = self.at;
            let key = self.key()?;
            if previous.is_some_and(|p| p >= key) {
                return None;
            }
            previous = Some(key);
            self.eat(b':')?;
            let value = self.at;
            self.value(depth + 1)?;
            if collect {
                // Keys are ASCII without escapes (checked in `key`).
                let key = std::str::from_utf8(key).ok()?;
                members.push(Member { key, start, end: self.at, value });
            }
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(members);
                }
                _ => return None,
            }
        }
    }

    /// A key: printable ASCII without escapes, so that byte order is UTF-16
    /// order; returns its content.
    fn key(&mut self) -> Option<&'t [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => return None,
                0x20..=0x7e => self.at += 1,
                _ => return None,
            }
        }
        let key = &self.bytes[start..self.at];
        self.at += 1;
        Some(key)
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth, false).map(drop),
            b'[' => self.array(depth),
            b'"' => self.string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string as JCS writes it: `"` and `\` escaped, control characters
    /// as `\b \t \n \f \r` or `\u00xx` (lowercase), nothing else escaped.
    /// (The text is a `&str`, so it is valid UTF-8.)
    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            // Most of a string needs no look: skip to the next quote,
            // backslash or control character in one pass.
            let rest = &self.bytes[self.at..];
            self.at += rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => self.at += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5)?;
                            let lower = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
                            let code = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok();
                            let short = matches!(code, Some(0x08 | 0x09 | 0x0a | 0x0c | 0x0d));
                            if !(hex.starts_with(b"00") && hex.iter().all(lower) && code < Some(0x20) && !short) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                // A raw control character.
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.bytes.get(self.at..self.at + word.len())? == word).then(|| self.at += word.len())
    }

    /// `0`, or an optional `-` and up to `MAX_DIGITS` digits without a
    /// leading zero (never `-0`).
    fn integer(&mut self) -> Option<()> {
        let negative = self.eat(b'-').is_some();
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.bytes[start..self.at];
        let ok = match digits {
            [] => false,
            [b'0'] => !negative,
            [b'0', ..] => false,
            _ => digits.len() <= MAX_DIGITS,
        };
        // A fraction or exponent is not recognised (the caller canonicalises).
        (ok && !matches!(self.peek(), Some(b'.' | b'e' | b'E'))).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn jcs(value: &Value) -> String {
        String::from_utf8(crate::canonical::to_vec(value).unwrap()).unwrap()
    }

    #[test]
    fn canonical_text_is_recognised_and_members_are_found() {
        let text = r#"{"a":[1,{"b":null}],"proof":{"x":"\u001f\n"},"z":-12}"#;
        let members = canonical_object(text).unwrap();
        let keys: Vec<&str> = members.iter().map(|m| m.key).collect();
        assert_eq!(keys, ["a", "proof", "z"]);
        assert_eq!(members[1].value_text(text), r#"{"x":"\u001f\n"}"#);
        let without = without_member(text, &members, "proof");
        assert_eq!(without, br#"{"a":[1,{"b":null}],"z":-12}"#);
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(jcs(&value), text);
    }

    #[test]
    fn text_that_is_not_canonical_is_not_recognised() {
        for text in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{ "a":1}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":1.0}"#,
            r#"{"a":01}"#,
            r#"{"a":-0}"#,
            r#"{"a":1e3}"#,
            r#"{"é":1}"#,
            r#"[1]"#,
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
        ] {
            assert_eq!(canonical_object(text), None, "{text}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(canonical_object(&deep), None);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x7f\"\\\\]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[ !#-\\[\\]-~]{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever it recognises is exactly what JCS writes, and JCS output
        /// of any object with small integers and ASCII keys is recognised
        /// (keys without `"` and `\`, whose escapes it leaves to the
        /// general path).
        #[test]
        fn recognised_text_is_jcs_and_jcs_is_recognised(members in prop::collection::btree_map("[ !#-\\[\\]-~]{0,6}", json_value(), 0..6)) {
            let value = Value::Object(members.into_iter().collect());
            let text = jcs(&value);
            let found = canonical_object(&text);
            prop_assert!(found.is_some(), "{}", text);
            let reparsed: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(jcs(&reparsed), text.clone());
            // Pretty text of the same value (when it differs) is not canonical.
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            if pretty != text {
                prop_assert_eq!(canonical_object(&pretty), None);
            }
        }
    }
}
