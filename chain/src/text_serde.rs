//! Serde through a type's text form: `Display` out, a checking parser in.
//! Hashes, keys and ids all travel as strings (base64 or hex) and must be
//! refused with their parser's reason when malformed.

/// Implements `Serialize` with `Display` and `Deserialize` with `$parse`,
/// a function from `&str` to `Result<Self, impl Display>`.
macro_rules! serde_via_text {
    ($name:ty, $parse:path) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                $parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use serde_via_text;
