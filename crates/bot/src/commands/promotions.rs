//! /configpromotions: automatic promotion roles.

use domain::quota::PromotionKind;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder};

use super::CommandName;
use crate::views::promotions::kind_label;

pub fn definitions() -> Vec<Command> {
    vec![
        CommandBuilder::new(
            CommandName::ConfigPromotions.as_str(),
            "Give roles automatically when members reach a number of runs, keys or points (administrators)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            StringBuilder::new("action", "Add a rule, remove one, or list them")
                .required(true)
                .choices([("add", "add"), ("remove", "remove"), ("list", "list")]),
        )
        .option(
            StringBuilder::new("kind", "add: what is counted (all time)").choices(
                PromotionKind::ALL
                    .iter()
                    .map(|k| (kind_label(*k), k.as_str())),
            ),
        )
        .option(
            IntegerBuilder::new("threshold", "add: how many are needed")
                .min_value(1)
                .max_value(1_000_000_000),
        )
        .option(RoleBuilder::new("role", "add: the role given"))
        .option(
            StringBuilder::new(
                "dungeon",
                "add: count only this dungeon (completions or keys; default: all)",
            )
            .autocomplete(true),
        )
        .option(RoleBuilder::new(
            "remove_role",
            "add: a lower role taken away at the same time",
        ))
        .option(IntegerBuilder::new("rule", "remove: the rule's number (see list)").min_value(1))
        .build(),
    ]
}
