//! Dungeon ping roles: the configuration answers, the self-service panel and the answers
//! members get when they press it.
//!
//! The panel holds every mapped dungeon in one message. Discord allows 5 action rows of 5
//! buttons: up to `BUTTONS_MAX` (20) dungeons get a button each (four rows) and the fifth
//! row holds Add all / Remove all. With more mappings the dungeons go into multi-select
//! menus instead (one row each, 25 options each, up to 4 menus = 100 dungeons, more than
//! the catalog's 52); picking dungeons in a menu toggles each picked one.

use domain::RolePingComponent;
use domain::catalog::catalog;
use domain::{CustomId, Snowflake};
use service::role_pings::RolePing;
use twilight_model::channel::message::component::{ButtonStyle, Component, SelectMenuOption};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFooterBuilder};

use super::components::{self, multi_select, option, row};
use super::{COLOR_INFO, COLOR_OK, fit_lines};

/// Most dungeons shown as buttons (4 rows of 5; the 5th row is Add all / Remove all).
pub const BUTTONS_MAX: usize = 20;
/// Options per select menu (Discord's limit).
pub const OPTIONS_PER_MENU: usize = 25;
/// Select menus on one panel (4 rows; the 5th row is Add all / Remove all).
pub const MENUS_MAX: usize = 4;
/// Discord's limit on a button label or a select option label.
const LABEL_MAX: usize = 80;

/// Mappings in the order members see them: by dungeon name.
fn sorted(mappings: &[RolePing]) -> Vec<&RolePing> {
    let mut v: Vec<&RolePing> = mappings.iter().collect();
    v.sort_by_key(|m| catalog().dungeon_name(&m.dungeon_code).to_lowercase());
    v
}

fn lines(mappings: &[RolePing]) -> Vec<String> {
    sorted(mappings)
        .into_iter()
        .map(|m| {
            format!(
                "**{}** → <@&{}>",
                catalog().dungeon_name(&m.dungeon_code),
                m.role_id
            )
        })
        .collect()
}

/// The list `/configrolepings` shows.
pub fn mappings_embed(title: &str, mappings: &[RolePing]) -> Embed {
    EmbedBuilder::new()
        .title(title)
        .description(fit_lines(
            &lines(mappings),
            "No dungeon has a ping role yet. Map one with `/configrolepings dungeon role`.",
        ))
        .color(COLOR_OK)
        .footer(EmbedFooterBuilder::new(
            "/configrolepings dungeon role maps · dungeon alone clears · /sendrolepingembed posts the panel",
        ))
        .build()
}

pub fn configured(code: &str, role: Option<Snowflake>, before: Option<Snowflake>) -> String {
    let name = catalog().dungeon_name(code);
    match (role, before) {
        (Some(r), Some(b)) if r == b => format!("{name} already pings <@&{r}>."),
        (Some(r), Some(b)) => format!("{name} runs now ping <@&{r}> (was <@&{b}>)."),
        (Some(r), None) => format!("{name} runs now ping <@&{r}>."),
        (None, Some(b)) => format!("{name} runs no longer ping <@&{b}>."),
        (None, None) => format!("{name} had no ping role; nothing changed."),
    }
}

pub fn panel_queued(channel: Snowflake) -> String {
    format!("The ping role panel is being posted in <#{channel}>.")
}

/// The panel's embed.
pub fn panel_embed(mappings: &[RolePing]) -> Embed {
    let how = if mappings.len() <= BUTTONS_MAX {
        "Press a dungeon to be pinged when its runs are posted; press it again to stop."
    } else {
        "Pick dungeons in a menu to switch their pings on or off (each pick toggles)."
    };
    EmbedBuilder::new()
        .title("Dungeon pings")
        .description(format!(
            "{how}\n**Add all** and **Remove all** change every one at once.\n\n{}",
            fit_lines(&lines(mappings), "—")
        ))
        .color(COLOR_INFO)
        .build()
}

fn custom_id(c: RolePingComponent) -> String {
    CustomId::RolePing(c).to_string()
}

fn label(text: String) -> String {
    text.chars().take(LABEL_MAX).collect()
}

fn button(id: String, text: String, style: ButtonStyle) -> Component {
    components::button(id, label(text), style)
}

/// The panel's rows: dungeon buttons or menus, then Add all / Remove all.
pub fn panel_components(mappings: &[RolePing]) -> Vec<Component> {
    let list = sorted(mappings);
    let mut rows: Vec<Component> = if list.len() <= BUTTONS_MAX {
        list.chunks(5)
            .map(|chunk| {
                row(chunk
                    .iter()
                    .map(|m| {
                        button(
                            custom_id(RolePingComponent::Toggle {
                                dungeon_code: m.dungeon_code.clone(),
                            }),
                            catalog().dungeon_name(&m.dungeon_code),
                            ButtonStyle::Secondary,
                        )
                    })
                    .collect())
            })
            .collect()
    } else {
        list.chunks(OPTIONS_PER_MENU)
            .take(MENUS_MAX)
            .enumerate()
            .map(|(i, chunk)| {
                let first = chunk
                    .first()
                    .map(|m| catalog().dungeon_name(&m.dungeon_code));
                let last = chunk
                    .last()
                    .map(|m| catalog().dungeon_name(&m.dungeon_code));
                let options: Vec<SelectMenuOption> = chunk
                    .iter()
                    .map(|m| {
                        option(
                            label(catalog().dungeon_name(&m.dungeon_code)),
                            m.dungeon_code.clone(),
                        )
                    })
                    .collect();
                let max = u8::try_from(options.len()).unwrap_or(1);
                let placeholder = match (first, last) {
                    (Some(a), Some(b)) => format!("Toggle pings: {a} … {b}"),
                    _ => "Toggle pings".to_owned(),
                };
                row(vec![multi_select(
                    custom_id(RolePingComponent::Pick {
                        menu: u8::try_from(i).unwrap_or(0),
                    }),
                    &placeholder.chars().take(150).collect::<String>(),
                    options,
                    1,
                    max,
                )])
            })
            .collect()
    };
    rows.push(row(vec![
        button(
            custom_id(RolePingComponent::AddAll),
            "Add all".to_owned(),
            ButtonStyle::Success,
        ),
        button(
            custom_id(RolePingComponent::RemoveAll),
            "Remove all".to_owned(),
            ButtonStyle::Danger,
        ),
    ]));
    rows
}

pub fn toggled(code: &str, added: bool) -> String {
    let name = catalog().dungeon_name(code);
    if added {
        format!("You will now be pinged for {name} runs.")
    } else {
        format!("You will no longer be pinged for {name} runs.")
    }
}

/// Why one role could not be changed, for the member (and staff reading over their
/// shoulder).
pub fn role_failure(code: &str, role: Snowflake, error_code: Option<u64>) -> String {
    let name = catalog().dungeon_name(code);
    match error_code {
        Some(50013) => format!(
            "I can't change <@&{role}> ({name}) for you: that role is above my own. Staff: move the raidbot role above the ping roles in Server Settings → Roles."
        ),
        Some(10011) => format!(
            "The ping role for {name} no longer exists. Staff: map a new one with /configrolepings."
        ),
        _ => format!(
            "Discord did not accept the change of <@&{role}> ({name}); please try again in a moment."
        ),
    }
}

/// The answer to Add all, Remove all or a menu pick: what changed and what failed.
pub fn bulk_result(added: &[String], removed: &[String], failures: &[String]) -> String {
    let names = |codes: &[String]| {
        codes
            .iter()
            .map(|c| catalog().dungeon_name(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    if !added.is_empty() {
        out.push(format!("You will now be pinged for {} runs.", names(added)));
    }
    if !removed.is_empty() {
        out.push(format!(
            "You will no longer be pinged for {} runs.",
            names(removed)
        ));
    }
    if out.is_empty() && failures.is_empty() {
        out.push("Nothing to change: your pings were already like that.".to_owned());
    }
    out.extend(failures.iter().cloned());
    let text = out.join("\n");
    if text.chars().count() > 1900 {
        let mut cut: String = text.chars().take(1900).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// The `bot_log` entry of a mapping change.
pub fn log_entry(by: &str, dungeon: &str, role: Option<&str>) -> Embed {
    let what = match role {
        Some(r) => format!("**{}** → <@&{r}>", catalog().dungeon_name(dungeon)),
        None => format!("**{}** → cleared", catalog().dungeon_name(dungeon)),
    };
    EmbedBuilder::new()
        .title("Ping role changed")
        .description(what)
        .color(COLOR_INFO)
        .footer(EmbedFooterBuilder::new(format!("By {by}")))
        .build()
}

/// The panel's Add all / Remove all once no dungeon has a ping role.
pub fn none_offered() -> String {
    "No dungeon pings are offered here any more.".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use twilight_model::channel::message::component::Component;

    fn mappings(n: usize) -> Vec<RolePing> {
        catalog()
            .dungeons
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, d)| RolePing {
                dungeon_code: d.code.clone(),
                role_id: Snowflake::new(1000 + i as u64).unwrap(),
            })
            .collect()
    }

    fn rows_fit(rows: &[Component]) {
        assert!(rows.len() <= 5, "{} rows", rows.len());
        for r in rows {
            let Component::ActionRow(r) = r else {
                panic!("not a row")
            };
            assert!(!r.components.is_empty() && r.components.len() <= 5);
            for c in &r.components {
                match c {
                    Component::Button(b) => {
                        let id = b.custom_id.as_deref().unwrap();
                        assert!(id.len() <= 100 && CustomId::parse(id).is_some(), "{id}");
                        assert!(b.label.as_deref().unwrap().chars().count() <= 80);
                    }
                    Component::SelectMenu(s) => {
                        assert_eq!(r.components.len(), 1, "a menu takes a whole row");
                        assert!(CustomId::parse(&s.custom_id).is_some());
                        let n = s.options.as_ref().unwrap().len();
                        assert!((1..=25).contains(&n));
                        assert!(usize::from(s.max_values.unwrap()) <= n);
                    }
                    _ => panic!("unexpected component"),
                }
            }
        }
    }

    fn dungeons_on(rows: &[Component]) -> usize {
        rows.iter()
            .map(|r| match r {
                Component::ActionRow(r) => r
                    .components
                    .iter()
                    .map(|c| match c {
                        Component::Button(b)
                            if b.custom_id.as_deref().unwrap().contains("toggle") =>
                        {
                            1
                        }
                        Component::SelectMenu(s) => s.options.as_ref().unwrap().len(),
                        _ => 0,
                    })
                    .sum::<usize>(),
                _ => 0,
            })
            .sum()
    }

    #[test]
    fn every_size_up_to_the_whole_catalog_fits_one_message() {
        let total = catalog().dungeons.len();
        assert!(total <= OPTIONS_PER_MENU * MENUS_MAX);
        for n in [1, 5, 19, 20, 21, 25, 26, total] {
            let m = mappings(n);
            let rows = panel_components(&m);
            rows_fit(&rows);
            assert_eq!(dungeons_on(&rows), n, "{n} mappings");
            let uses_menus = rows
                .iter()
                .any(|r| matches!(r, Component::ActionRow(a) if matches!(a.components[0], Component::SelectMenu(_))));
            assert_eq!(uses_menus, n > BUTTONS_MAX, "{n}");
            let e = panel_embed(&m);
            assert!(e.description.as_deref().unwrap().len() <= 4096);
        }
    }
}
