//! API keys and the audit log administrators read with them.

use service::api_keys::{ApiKeyError, LABEL_MAX};

use crate::Style;

/// Why an API key request (or an audit log filter) was refused.
pub fn refusal(e: &ApiKeyError, s: Style) -> String {
    match e {
        ApiKeyError::BadLabel => format!("A key's label must be 1 to {LABEL_MAX} characters."),
        ApiKeyError::BadLevel => {
            "A key's level must be 1 (verified raider) to 8 (administrator), and not above yours."
                .into()
        }
        ApiKeyError::BadAuditAction { text } => format!(
            "{} is not an audit action (snake_case words, e.g. {}).",
            s.code(text),
            s.code("api_key_create")
        ),
        ApiKeyError::NoSuchKey { key_id } => {
            format!("API key #{key_id} does not exist in this server or is already revoked.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_action_is_quoted_only_on_discord() {
        let e = ApiKeyError::BadAuditAction {
            text: "Run End".into(),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "`Run End` is not an audit action (snake_case words, e.g. `api_key_create`)."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "Run End is not an audit action (snake_case words, e.g. api_key_create)."
        );
    }
}
