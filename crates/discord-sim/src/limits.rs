//! Discord's payload limits (the ones marked "(sim)" in discord-limits.md) and Discord-shaped errors.

use serde_json::{Map, Value, json};

/// A Discord-shaped API error.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: u64,
    pub message: String,
    pub errors: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: u64, message: &str) -> Self {
        ApiError {
            status,
            code,
            message: message.to_owned(),
            errors: None,
        }
    }
    pub fn unknown_message() -> Self {
        Self::new(404, 10008, "Unknown Message")
    }
    pub fn unknown_channel() -> Self {
        Self::new(404, 10003, "Unknown Channel")
    }
    pub fn unknown_guild() -> Self {
        Self::new(404, 10004, "Unknown Guild")
    }
    pub fn unknown_member() -> Self {
        Self::new(404, 10007, "Unknown Member")
    }
    pub fn unknown_role() -> Self {
        Self::new(404, 10011, "Unknown Role")
    }
    pub fn unknown_user() -> Self {
        Self::new(404, 10013, "Unknown User")
    }
    pub fn unknown_webhook() -> Self {
        Self::new(404, 10015, "Unknown Webhook")
    }
    pub fn unknown_interaction() -> Self {
        Self::new(404, 10062, "Unknown interaction")
    }
    pub fn already_acknowledged() -> Self {
        Self::new(400, 40060, "Interaction has already been acknowledged.")
    }
    pub fn missing_permissions() -> Self {
        Self::new(403, 50013, "Missing Permissions")
    }
    pub fn cannot_dm() -> Self {
        Self::new(403, 50007, "Cannot send messages to this user")
    }
    pub fn not_found() -> Self {
        Self::new(404, 0, "404: Not Found")
    }
    pub fn unauthorized() -> Self {
        Self::new(401, 0, "401: Unauthorized")
    }
    /// 400 / 50035 with one error at `path` (dot separated, e.g. `embeds.0.title`).
    pub fn form(path: &str, code: &str, message: &str) -> Self {
        let mut errors = Map::new();
        let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
        insert_error(&mut errors, &parts, code, message);
        ApiError {
            status: 400,
            code: 50035,
            message: "Invalid Form Body".to_owned(),
            errors: Some(Value::Object(errors)),
        }
    }
    pub fn body(&self) -> Value {
        let mut v = json!({"code": self.code, "message": self.message});
        if let Some(e) = &self.errors {
            v["errors"] = e.clone();
        }
        v
    }
}

fn insert_error(map: &mut Map<String, Value>, parts: &[&str], code: &str, message: &str) {
    match parts.split_first() {
        None => {
            map.insert(
                "_errors".to_owned(),
                json!([{"code": code, "message": message}]),
            );
        }
        Some((first, rest)) => {
            let entry = map.entry((*first).to_owned()).or_insert_with(|| json!({}));
            if let Value::Object(inner) = entry {
                insert_error(inner, rest, code, message);
            }
        }
    }
}

type R = Result<(), ApiError>;

fn too_long(path: &str, max: usize) -> ApiError {
    ApiError::form(
        path,
        "BASE_TYPE_MAX_LENGTH",
        &format!("Must be {max} or fewer in length."),
    )
}

fn str_len(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str)
        .map(|s| s.chars().count())
        .unwrap_or(0)
}

fn check_len(v: &Value, key: &str, path: &str, max: usize) -> R {
    if str_len(v.get(key)) > max {
        return Err(too_long(&format!("{path}.{key}"), max));
    }
    Ok(())
}

/// Validates a message create/edit payload (content, embeds, components).
/// `require_body`: a create must carry content, embeds, components, attachments or a poll.
pub fn validate_message(body: &Value, require_body: bool) -> R {
    if !body.is_object() {
        return Err(ApiError::form(
            "",
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        ));
    }
    if str_len(body.get("content")) > 2000 {
        return Err(too_long("content", 2000));
    }
    let flags = body.get("flags").and_then(Value::as_u64).unwrap_or(0);
    let v2 = flags & (1 << 15) != 0;
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        validate_embeds(embeds)?;
    }
    if let Some(components) = body.get("components").and_then(Value::as_array) {
        validate_components(components, v2)?;
    }
    if require_body {
        let has = |k: &str| match body.get(k) {
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        if !(has("content")
            || has("embeds")
            || has("components")
            || has("attachments")
            || has("poll")
            || has("sticker_ids"))
        {
            return Err(ApiError::new(400, 50006, "Cannot send an empty message"));
        }
    }
    Ok(())
}

pub fn validate_embeds(embeds: &[Value]) -> R {
    if embeds.len() > 10 {
        return Err(ApiError::form(
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    let mut total = 0usize;
    for (i, e) in embeds.iter().enumerate() {
        let p = format!("embeds.{i}");
        check_len(e, "title", &p, 256)?;
        check_len(e, "description", &p, 4096)?;
        total += str_len(e.get("title")) + str_len(e.get("description"));
        if let Some(f) = e.get("footer") {
            check_len(f, "text", &format!("{p}.footer"), 2048)?;
            total += str_len(f.get("text"));
        }
        if let Some(a) = e.get("author") {
            check_len(a, "name", &format!("{p}.author"), 256)?;
            total += str_len(a.get("name"));
        }
        if let Some(fields) = e.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                return Err(ApiError::form(
                    &format!("{p}.fields"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
            for (j, f) in fields.iter().enumerate() {
                let fp = format!("{p}.fields.{j}");
                if str_len(f.get("name")) == 0 || str_len(f.get("value")) == 0 {
                    return Err(ApiError::form(
                        &fp,
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
                check_len(f, "name", &fp, 256)?;
                check_len(f, "value", &fp, 1024)?;
                total += str_len(f.get("name")) + str_len(f.get("value"));
            }
        }
    }
    if total > 6000 {
        return Err(ApiError::form(
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    Ok(())
}

fn component_type(c: &Value) -> u64 {
    c.get("type").and_then(Value::as_u64).unwrap_or(0)
}

fn validate_leaf(c: &Value, path: &str) -> R {
    check_len(c, "custom_id", path, 100)?;
    match component_type(c) {
        2 => {
            let style = c.get("style").and_then(Value::as_u64).unwrap_or(0);
            check_len(c, "label", path, 80)?;
            if style == 5 {
                if c.get("url").and_then(Value::as_str).is_none() {
                    return Err(ApiError::form(
                        &format!("{path}.url"),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
            } else if style != 6 && str_len(c.get("custom_id")) == 0 {
                return Err(ApiError::form(
                    &format!("{path}.custom_id"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                ));
            }
        }
        3 => {
            let opts = c
                .get("options")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0);
            if opts == 0 || opts > 25 {
                return Err(ApiError::form(
                    &format!("{path}.options"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 25 in length.",
                ));
            }
            if str_len(c.get("custom_id")) == 0 {
                return Err(ApiError::form(
                    &format!("{path}.custom_id"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                ));
            }
        }
        5..=8 if str_len(c.get("custom_id")) == 0 => {
            return Err(ApiError::form(
                &format!("{path}.custom_id"),
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Validates message components (classic rules, or components v2 when the flag is set).
pub fn validate_components(components: &[Value], v2: bool) -> R {
    if v2 {
        let mut count = 0usize;
        let mut err = None;
        for (i, c) in components.iter().enumerate() {
            crate::model::collect_components(c, &mut |x| {
                count += 1;
                if err.is_none() {
                    err = validate_leaf(x, &format!("components.{i}")).err();
                }
            });
        }
        if let Some(e) = err {
            return Err(e);
        }
        if count > 40 {
            return Err(ApiError::form(
                "components",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 40 or fewer in length.",
            ));
        }
        return Ok(());
    }
    if components.len() > 5 {
        return Err(ApiError::form(
            "components",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        ));
    }
    for (i, row) in components.iter().enumerate() {
        let p = format!("components.{i}");
        if component_type(row) != 1 {
            return Err(ApiError::form(
                &format!("{p}.type"),
                "UNION_TYPE_CHOICES",
                "Value of field \"type\" must be one of (1,).",
            ));
        }
        let children = row
            .get("components")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if children.is_empty() {
            return Err(ApiError::form(
                &format!("{p}.components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        let selects = children
            .iter()
            .filter(|c| matches!(component_type(c), 3 | 5..=8))
            .count();
        if selects > 0 && children.len() > 1 {
            return Err(ApiError::form(
                &format!("{p}.components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            ));
        }
        if children.len() > 5 {
            return Err(ApiError::form(
                &format!("{p}.components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        for (j, c) in children.iter().enumerate() {
            let cp = format!("{p}.components.{j}");
            if !matches!(component_type(c), 2 | 3 | 5..=8) {
                return Err(ApiError::form(
                    &format!("{cp}.type"),
                    "UNION_TYPE_CHOICES",
                    "Invalid component type for an action row",
                ));
            }
            validate_leaf(c, &cp)?;
        }
    }
    Ok(())
}

/// Validates a modal (callback type 9 data).
pub fn validate_modal(data: &Value) -> R {
    check_len(data, "custom_id", "data", 100)?;
    if str_len(data.get("custom_id")) == 0 {
        return Err(ApiError::form(
            "data.custom_id",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    }
    if str_len(data.get("title")) == 0 {
        return Err(ApiError::form(
            "data.title",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    }
    check_len(data, "title", "data", 45)?;
    let comps = data
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if comps.is_empty() || comps.len() > 5 {
        return Err(ApiError::form(
            "data.components",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 5 in length.",
        ));
    }
    for (i, c) in comps.iter().enumerate() {
        let mut err = None;
        crate::model::collect_components(c, &mut |x| {
            if err.is_some() || component_type(x) != 4 {
                return;
            }
            let p = format!("data.components.{i}");
            if let Some(max) = x.get("max_length").and_then(Value::as_u64)
                && !(1..=4000).contains(&max)
            {
                err = Some(ApiError::form(
                    &format!("{p}.max_length"),
                    "NUMBER_TYPE_MAX",
                    "int value should be less than or equal to 4000.",
                ));
            }
            if let Some(min) = x.get("min_length").and_then(Value::as_u64)
                && min > 4000
            {
                err = Some(ApiError::form(
                    &format!("{p}.min_length"),
                    "NUMBER_TYPE_MAX",
                    "int value should be less than or equal to 4000.",
                ));
            }
            if str_len(x.get("custom_id")) == 0 || str_len(x.get("custom_id")) > 100 {
                err = Some(ApiError::form(
                    &format!("{p}.custom_id"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ));
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(())
}

/// Validates autocomplete choices (callback type 8 data).
pub fn validate_choices(data: &Value) -> R {
    let choices = data
        .get("choices")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if choices.len() > 25 {
        return Err(ApiError::form(
            "data.choices",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    for (i, c) in choices.iter().enumerate() {
        let n = str_len(c.get("name"));
        if n == 0 || n > 100 {
            return Err(ApiError::form(
                &format!("data.choices.{i}.name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        if c.get("value").is_none() {
            return Err(ApiError::form(
                &format!("data.choices.{i}.value"),
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        }
    }
    Ok(())
}

fn valid_command_name(name: &str, chat_input: bool) -> bool {
    let n = name.chars().count();
    if n == 0 || n > 32 {
        return false;
    }
    if !chat_input {
        return true;
    }
    name.chars()
        .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
}

fn validate_options(options: &[Value], path: &str) -> R {
    if options.len() > 25 {
        return Err(ApiError::form(
            &format!("{path}.options"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    for (i, o) in options.iter().enumerate() {
        let p = format!("{path}.options.{i}");
        let name = o.get("name").and_then(Value::as_str).unwrap_or("");
        if !valid_command_name(name, true) {
            return Err(ApiError::form(
                &format!("{p}.name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            ));
        }
        let d = str_len(o.get("description"));
        if d == 0 || d > 100 {
            return Err(ApiError::form(
                &format!("{p}.description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        if let Some(choices) = o.get("choices").and_then(Value::as_array) {
            if choices.len() > 25 {
                return Err(ApiError::form(
                    &format!("{p}.choices"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
            for (j, c) in choices.iter().enumerate() {
                let n = str_len(c.get("name"));
                if n == 0 || n > 100 {
                    return Err(ApiError::form(
                        &format!("{p}.choices.{j}.name"),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    ));
                }
            }
        }
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            validate_options(sub, &p)?;
        }
    }
    Ok(())
}

/// Validates one command of a bulk overwrite.
pub fn validate_command(cmd: &Value, index: usize) -> R {
    let p = index.to_string();
    let kind = cmd.get("type").and_then(Value::as_u64).unwrap_or(1);
    let name = cmd.get("name").and_then(Value::as_str).unwrap_or("");
    if !valid_command_name(name, kind == 1) {
        return Err(ApiError::form(
            &format!("{p}.name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        ));
    }
    if kind == 1 {
        let d = str_len(cmd.get("description"));
        if d == 0 || d > 100 {
            return Err(ApiError::form(
                &format!("{p}.description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    if let Some(options) = cmd.get("options").and_then(Value::as_array) {
        validate_options(options, &p)?;
    }
    Ok(())
}

/// Nickname: at most 32 characters.
pub fn validate_nick(nick: &str) -> R {
    if nick.chars().count() > 32 {
        return Err(ApiError::form(
            "nick",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        ));
    }
    Ok(())
}
