//! Party finder rules: member-run parties with a post and a thread, closed by their owner,
//! a moderator, or a timer.

use crate::limits::{TextError, optional_text};

/// A party's name is required, 1–60 characters.
pub const NAME_MAX: usize = 60;
/// Location, at most 100 characters.
pub const LOCATION_MAX: usize = 100;
/// Description, at most 500 characters.
pub const DESCRIPTION_MAX: usize = 500;

/// How many parties one member may create in any rolling hour.
pub const PER_HOUR: i64 = 3;
/// The window the per-member creation limit counts over, in minutes (rolling).
pub const RATE_WINDOW_MINUTES: i64 = 60;
/// How long a new party stays open before it closes itself, in minutes.
pub const LIFETIME_MINUTES: i64 = 120;
/// How much one press of Extend adds, in minutes.
pub const EXTENSION_MINUTES: i64 = 60;
/// A party never stays open longer than this after it was created (2 h + 4 extensions),
/// in minutes: a party finder post is for a session, not a standing advert.
pub const MAX_LIFETIME_MINUTES: i64 = 360;
/// A second Extend within this many seconds of the last one is taken as the same press
/// (a double click), not as another hour.
pub const EXTEND_DEBOUNCE_SECONDS: i64 = 10;

/// Trims a required text: blank is refused, as is an over-long one.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, TextError> {
    optional_text(field, Some(value), max)?.ok_or(TextError::Empty { field })
}

/// How many extensions fit in a party's life.
pub const fn max_extensions() -> i64 {
    (MAX_LIFETIME_MINUTES - LIFETIME_MINUTES) / EXTENSION_MINUTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_refuses_blank_and_long() {
        assert_eq!(
            required_text("Name", "  ", NAME_MAX),
            Err(TextError::Empty { field: "Name" })
        );
        assert_eq!(
            required_text("Name", " Fungal ", NAME_MAX),
            Ok("Fungal".into())
        );
        assert!(required_text("Name", &"x".repeat(61), NAME_MAX).is_err());
        assert!(required_text("Name", &"é".repeat(60), NAME_MAX).is_ok());
    }

    #[test]
    fn four_extensions_fit() {
        assert_eq!(max_extensions(), 4);
    }
}
