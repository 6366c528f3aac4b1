//! The string form that several credential types share on the wire: they
//! serialise as their `Display` text and deserialise through their checking
//! `parse`, so a value read from JSON has passed the same checks as one read
//! from anywhere else.

/// Implements `Debug`, `Serialize` and `Deserialize` for a type that has
/// `Display` and `fn parse(&str) -> Result<Self, impl Display>`.
macro_rules! text_form {
    ($name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Parsed from the text where it lies (no `String` made for
                // it): a license holds several of these.
                struct Text;
                impl serde::de::Visitor<'_> for Text {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        $name::parse(text).map_err(E::custom)
                    }
                }
                d.deserialize_str(Text)
            }
        }
    };
}
pub(crate) use text_form;
