//! Limits on free text users give the bot, chosen so every value fits the embed it is
//! shown in (field values are at most 1024 characters).

/// A short free-text value, trimmed, non-empty and at most `max` characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is empty.")]
    Empty { field: &'static str },
    #[error("{field} is too long: {len} characters, at most {max}.")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
}

pub const PARTY_MAX: usize = 100;
pub const LOCATION_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 500;

/// Trims an optional text; an empty one counts as absent, an over-long one is refused.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, TextError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            let len = text.chars().count();
            if len > max {
                Err(TextError::TooLong { field, len, max })
            } else {
                Ok(Some(text.to_owned()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits_by_characters() {
        assert_eq!(optional_text("Party", Some("  "), 5), Ok(None));
        assert_eq!(
            optional_text("Party", Some(" ab "), 5),
            Ok(Some("ab".into()))
        );
        assert_eq!(
            optional_text("Party", Some("ééééé"), 5),
            Ok(Some("ééééé".into()))
        );
        assert!(matches!(
            optional_text("Description", Some("abcdef"), 5),
            Err(TextError::TooLong { len: 6, max: 5, .. })
        ));
    }
}
