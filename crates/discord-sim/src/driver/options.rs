//! Slash command options as a test writes them, and the check against what the bot registered.

use super::*;

/// A typed option value for [`DiscordSim::run_command`].
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    User(UserId),
    Channel(ChannelId),
    Role(RoleId),
    /// A file the user attached (type 11); its `url` is where the bot downloads it.
    Attachment(Attachment),
    SubCommand(Vec<CommandOption>),
    SubCommandGroup(Vec<CommandOption>),
}

/// An option a user fills in.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandOption {
    pub name: String,
    pub value: OptionValue,
    pub focused: bool,
}

impl CommandOption {
    pub(super) fn new(name: &str, value: OptionValue) -> Self {
        CommandOption {
            name: name.to_owned(),
            value,
            focused: false,
        }
    }
    pub fn string(name: &str, v: &str) -> Self {
        Self::new(name, OptionValue::String(v.to_owned()))
    }
    pub fn int(name: &str, v: i64) -> Self {
        Self::new(name, OptionValue::Integer(v))
    }
    pub fn number(name: &str, v: f64) -> Self {
        Self::new(name, OptionValue::Number(v))
    }
    pub fn bool(name: &str, v: bool) -> Self {
        Self::new(name, OptionValue::Boolean(v))
    }
    pub fn user(name: &str, v: UserId) -> Self {
        Self::new(name, OptionValue::User(v))
    }
    pub fn channel(name: &str, v: ChannelId) -> Self {
        Self::new(name, OptionValue::Channel(v))
    }
    pub fn role(name: &str, v: RoleId) -> Self {
        Self::new(name, OptionValue::Role(v))
    }
    pub fn attachment(name: &str, v: Attachment) -> Self {
        Self::new(name, OptionValue::Attachment(v))
    }
    pub fn sub(name: &str, options: Vec<CommandOption>) -> Self {
        Self::new(name, OptionValue::SubCommand(options))
    }
    pub fn group(name: &str, options: Vec<CommandOption>) -> Self {
        Self::new(name, OptionValue::SubCommandGroup(options))
    }
    /// Marks this option as the one being typed (autocomplete).
    pub fn focused(mut self) -> Self {
        self.focused = true;
        self
    }

    pub(super) fn type_code(&self) -> u64 {
        match self.value {
            OptionValue::SubCommand(_) => 1,
            OptionValue::SubCommandGroup(_) => 2,
            OptionValue::String(_) => 3,
            OptionValue::Integer(_) => 4,
            OptionValue::Boolean(_) => 5,
            OptionValue::User(_) => 6,
            OptionValue::Channel(_) => 7,
            OptionValue::Role(_) => 8,
            OptionValue::Number(_) => 10,
            OptionValue::Attachment(_) => 11,
        }
    }

    pub(super) fn to_json(&self, resolved: &mut Vec<OptionValue>) -> Value {
        let mut v = json!({"name": self.name, "type": self.type_code()});
        match &self.value {
            OptionValue::SubCommand(o) | OptionValue::SubCommandGroup(o) => {
                v["options"] = Value::Array(o.iter().map(|x| x.to_json(resolved)).collect());
            }
            OptionValue::String(s) => v["value"] = json!(s),
            OptionValue::Integer(i) => v["value"] = json!(i),
            OptionValue::Number(n) => v["value"] = json!(n),
            OptionValue::Boolean(b) => v["value"] = json!(b),
            OptionValue::User(u) => {
                resolved.push(self.value.clone());
                v["value"] = json!(u.to_string());
            }
            OptionValue::Channel(c) => {
                resolved.push(self.value.clone());
                v["value"] = json!(c.to_string());
            }
            OptionValue::Role(r) => {
                resolved.push(self.value.clone());
                v["value"] = json!(r.to_string());
            }
            OptionValue::Attachment(a) => {
                resolved.push(self.value.clone());
                v["value"] = json!(a.id.to_string());
            }
        }
        if self.focused {
            v["focused"] = json!(true);
            if let Some(val) = v.get("value").cloned()
                && !val.is_string()
            {
                v["value"] = json!(val.to_string());
            }
        }
        v
    }
}

pub(super) fn find_registered_option<'a>(options: &'a [Value], name: &str) -> Option<&'a Value> {
    options
        .iter()
        .find(|o| o.get("name").and_then(Value::as_str) == Some(name))
}

/// Checks the user's options against the registered command (names, required, choices).
pub(super) fn check_options(given: &[CommandOption], registered: &[Value]) -> Result<(), String> {
    for o in given {
        let Some(reg) = find_registered_option(registered, &o.name) else {
            return Err(format!("unknown option `{}`", o.name));
        };
        let reg_type = reg.get("type").and_then(Value::as_u64).unwrap_or(0);
        if reg_type != o.type_code() && !o.focused {
            return Err(format!(
                "option `{}` has type {reg_type}, got {}",
                o.name,
                o.type_code()
            ));
        }
        match &o.value {
            OptionValue::SubCommand(sub) | OptionValue::SubCommandGroup(sub) => {
                let reg_sub = reg
                    .get("options")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                check_options(sub, &reg_sub)?;
            }
            value if !o.focused => {
                // Discord checks choices only when the option declares some; an
                // autocomplete option accepts any value (the bot must check it).
                let autocomplete = reg.get("autocomplete").and_then(Value::as_bool) == Some(true);
                if let Some(choices) = reg
                    .get("choices")
                    .and_then(Value::as_array)
                    .filter(|c| !c.is_empty() && !autocomplete)
                {
                    let v = match value {
                        OptionValue::String(s) => json!(s),
                        OptionValue::Integer(i) => json!(i),
                        OptionValue::Number(n) => json!(n),
                        _ => Value::Null,
                    };
                    if !choices.iter().any(|c| c.get("value") == Some(&v)) {
                        return Err(format!("`{}` is not a choice of option `{}`", v, o.name));
                    }
                }
            }
            _ => {}
        }
    }
    let is_leaf = !given.iter().any(|o| {
        matches!(
            o.value,
            OptionValue::SubCommand(_) | OptionValue::SubCommandGroup(_)
        )
    });
    if is_leaf {
        for reg in registered {
            let required = reg
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let name = reg.get("name").and_then(Value::as_str).unwrap_or("");
            if required && !given.iter().any(|o| o.name == name) {
                return Err(format!("required option `{name}` missing"));
            }
        }
    }
    Ok(())
}
