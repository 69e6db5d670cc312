//! The one set of component builders every view uses: buttons, rows, select menus and
//! modals with text inputs. Twilight's structs have many fields that raidbot always leaves
//! empty; they are spelled once, here.

use twilight_model::channel::message::Component;
use twilight_model::channel::message::component::{
    ActionRow, Button, ButtonStyle, Label, SelectMenu, SelectMenuOption, SelectMenuType, TextInput,
    TextInputStyle,
};
use twilight_model::http::interaction::InteractionResponseData;

/// A button with a custom id.
pub fn button(
    custom_id: impl Into<String>,
    label: impl Into<String>,
    style: ButtonStyle,
) -> Component {
    button_with_state(custom_id, label, style, false)
}

/// A button with a custom id, greyed out when `disabled`.
pub fn button_with_state(
    custom_id: impl Into<String>,
    label: impl Into<String>,
    style: ButtonStyle,
    disabled: bool,
) -> Component {
    Component::Button(Button {
        custom_id: Some(custom_id.into()),
        disabled,
        emoji: None,
        id: None,
        label: Some(label.into()),
        sku_id: None,
        style,
        url: None,
    })
}

/// An action row of buttons (up to five) or one select menu.
pub fn row(components: Vec<Component>) -> Component {
    Component::ActionRow(ActionRow {
        components,
        id: None,
    })
}

/// A text select menu of one choice.
pub fn select(
    custom_id: impl Into<String>,
    placeholder: &str,
    options: Vec<SelectMenuOption>,
) -> Component {
    multi_select(custom_id, placeholder, options, 1, 1)
}

/// A text select menu of `min` to `max` choices.
pub fn multi_select(
    custom_id: impl Into<String>,
    placeholder: &str,
    options: Vec<SelectMenuOption>,
    min: u8,
    max: u8,
) -> Component {
    Component::SelectMenu(SelectMenu {
        channel_types: None,
        custom_id: custom_id.into(),
        default_values: None,
        disabled: false,
        id: None,
        kind: SelectMenuType::Text,
        max_values: Some(max),
        min_values: Some(min),
        options: Some(options),
        placeholder: Some(placeholder.to_owned()),
        required: None,
    })
}

/// A menu picking one member.
pub fn user_select(custom_id: impl Into<String>, placeholder: &str) -> Component {
    Component::SelectMenu(SelectMenu {
        channel_types: None,
        custom_id: custom_id.into(),
        default_values: None,
        disabled: false,
        id: None,
        kind: SelectMenuType::User,
        max_values: Some(1),
        min_values: Some(1),
        options: None,
        placeholder: Some(placeholder.to_owned()),
        required: None,
    })
}

/// A select menu's option.
pub fn option(label: impl Into<String>, value: impl Into<String>) -> SelectMenuOption {
    SelectMenuOption {
        default: false,
        description: None,
        emoji: None,
        label: label.into(),
        value: value.into(),
    }
}

/// One text input of a modal.
#[derive(Debug, Clone, Default)]
pub struct TextField {
    pub custom_id: String,
    pub label: String,
    pub value: Option<String>,
    pub placeholder: Option<String>,
    pub max_length: Option<u16>,
    pub required: bool,
    /// Several lines rather than one.
    pub paragraph: bool,
}

/// A modal of text inputs, each under its label.
pub fn modal(custom_id: String, title: &str, fields: Vec<TextField>) -> InteractionResponseData {
    let components = fields
        .into_iter()
        .map(|f| {
            Component::Label(Label {
                component: Box::new(Component::TextInput(text_input(&f))),
                description: None,
                id: None,
                label: f.label,
            })
        })
        .collect();
    InteractionResponseData {
        custom_id: Some(custom_id),
        title: Some(title.to_owned()),
        components: Some(components),
        ..Default::default()
    }
}

#[allow(deprecated)] // `label` is deprecated in favour of the Label wrapper used above.
fn text_input(f: &TextField) -> TextInput {
    TextInput {
        custom_id: f.custom_id.clone(),
        id: None,
        label: None,
        max_length: f.max_length,
        min_length: None,
        placeholder: f.placeholder.clone(),
        required: Some(f.required),
        style: if f.paragraph {
            TextInputStyle::Paragraph
        } else {
            TextInputStyle::Short
        },
        value: f.value.clone(),
    }
}
