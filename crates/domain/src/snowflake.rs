//! Discord ids. Stored as `BIGINT`, carried as strings in JSON.

use std::fmt;
use std::str::FromStr;

/// A Discord snowflake. Always positive and at most `i64::MAX`, so it fits a `BIGINT`
/// column without loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snowflake(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Discord id (expected a number such as 123456789012345678)")]
pub struct InvalidSnowflake(pub String);

impl Snowflake {
    pub fn new(value: u64) -> Result<Self, InvalidSnowflake> {
        if value == 0 || value > i64::MAX as u64 {
            return Err(InvalidSnowflake(value.to_string()));
        }
        Ok(Self(value))
    }

    pub fn parse(text: &str) -> Result<Self, InvalidSnowflake> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.len() > 20 || !trimmed.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(InvalidSnowflake(text.to_owned()));
        }
        let value: u64 = trimmed
            .parse()
            .map_err(|_| InvalidSnowflake(text.to_owned()))?;
        Self::new(value).map_err(|_| InvalidSnowflake(text.to_owned()))
    }

    /// From a database column. Rows are written only from valid snowflakes, so a
    /// non-positive value is a corrupted row; it maps to an error, never a panic.
    pub fn from_db(value: i64) -> Result<Self, InvalidSnowflake> {
        u64::try_from(value)
            .map_err(|_| InvalidSnowflake(value.to_string()))
            .and_then(Self::new)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The value for a `BIGINT` column; lossless by construction.
    pub fn db(self) -> i64 {
        self.0 as i64
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Snowflake {
    type Err = InvalidSnowflake;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Snowflake {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Snowflake {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Snowflake::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_is_not_an_id() {
        for bad in [
            "",
            "0",
            "-5",
            "12a",
            "1.5",
            "99999999999999999999",
            "9223372036854775808",
        ] {
            assert!(Snowflake::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            Snowflake::parse("9223372036854775807").map(|s| s.db()),
            Ok(i64::MAX)
        );
    }

    proptest! {
        #[test]
        fn round_trips_through_text_and_db(v in 1u64..=i64::MAX as u64) {
            let s = Snowflake::new(v).unwrap();
            prop_assert_eq!(Snowflake::parse(&s.to_string()).unwrap(), s);
            prop_assert_eq!(Snowflake::from_db(s.db()).unwrap(), s);
        }
    }
}
