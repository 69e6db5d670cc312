//! Verification: /configverification, the staff commands on names (/verify, /unverify,
//! /editname, /addalt, /removealt, /forcesync, /syncteam) and the role verifications
//! (/addroleverification, /roleverifications, /removeroleverification).

use domain::verification::{
    IGN_MAX, IMAGE_URL_MAX, MIN_ACCOUNT_AGE_MAX, MIN_CHARACTERS_MAX, MIN_RANK_MAX,
    PANEL_MESSAGE_MAX,
};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_util::builder::command::{
    AttachmentBuilder, BooleanBuilder, ChannelBuilder, CommandBuilder, IntegerBuilder, RoleBuilder,
    StringBuilder, UserBuilder,
};

use super::CommandName;

fn command(name: CommandName, description: &str) -> CommandBuilder {
    CommandBuilder::new(name.as_str(), description, CommandType::ChatInput)
        .contexts([InteractionContextType::Guild])
}

fn ign(description: &str) -> StringBuilder {
    StringBuilder::new("ign", description)
        .required(true)
        .min_length(1)
        .max_length(IGN_MAX as u16)
}

fn member() -> UserBuilder {
    UserBuilder::new("member", "The member").required(true)
}

pub fn definitions() -> Vec<Command> {
    let config = command(
        CommandName::ConfigVerification,
        "Verification methods, requirements and the get-verified panel (moderators)",
    )
    .option(BooleanBuilder::new(
        "realmeye",
        "Offer automatic RealmEye verification",
    ))
    .option(BooleanBuilder::new(
        "screenshot",
        "Offer screenshot review by staff",
    ))
    .option(
        StringBuilder::new(
            "message",
            "Instructions shown on the panel (a blank clears them)",
        )
        .max_length(PANEL_MESSAGE_MAX as u16),
    )
    .option(
        StringBuilder::new("image", "An https:// image shown on the panel")
            .max_length(IMAGE_URL_MAX as u16),
    )
    .option(
        IntegerBuilder::new("min_rank", "RealmEye: minimum rank in stars (0 = none)")
            .min_value(0)
            .max_value(i64::from(MIN_RANK_MAX)),
    )
    .option(
        IntegerBuilder::new("min_alive_fame", "RealmEye: minimum alive fame (0 = none)")
            .min_value(0),
    )
    .option(
        IntegerBuilder::new("min_characters", "RealmEye: minimum characters (0 = none)")
            .min_value(0)
            .max_value(i64::from(MIN_CHARACTERS_MAX)),
    )
    .option(
        IntegerBuilder::new(
            "min_account_age_days",
            "RealmEye: minimum account age in days (0 = none)",
        )
        .min_value(0)
        .max_value(i64::from(MIN_ACCOUNT_AGE_MAX)),
    )
    .option(BooleanBuilder::new(
        "hidden_location",
        "RealmEye: require the last-seen location to be hidden",
    ))
    .option(BooleanBuilder::new(
        "post_panel",
        "Post the panel in the getverified channel (default: yes)",
    ));
    let verify = command(CommandName::Verify, "Verify a member by hand (security)")
        .option(member())
        .option(ign("Their in-game name"));
    let unverify = command(
        CommandName::Unverify,
        "Remove a member's verification; their names stay on record (security)",
    )
    .option(member())
    .option(StringBuilder::new("reason", "Why (shown in veri_log)").max_length(500));
    let editname = command(
        CommandName::EditName,
        "Change a member's main in-game name (security)",
    )
    .option(member())
    .option(ign("The new main in-game name"));
    let addalt = command(
        CommandName::AddAlt,
        "Add an alternate in-game name (security)",
    )
    .option(member())
    .option(ign("The alt's in-game name"));
    let removealt = command(
        CommandName::RemoveAlt,
        "Remove an alternate in-game name (security)",
    )
    .option(member())
    .option(ign("The alt's in-game name"));
    let forcesync = command(
        CommandName::ForceSync,
        "Re-apply verified roles and nicknames from the database (administrators)",
    )
    .option(UserBuilder::new(
        "member",
        "Only this member (default: everyone with a name)",
    ));
    let syncteam = command(
        CommandName::SyncTeam,
        "Import lines `UserID MainIGN [AltIGN]` from text or a file (administrators)",
    )
    .option(
        StringBuilder::new(
            "lines",
            "Lines separated by ; (e.g. 123 Main Alt; 456 Other)",
        )
        .max_length(6000),
    )
    .option(AttachmentBuilder::new(
        "file",
        "A text file, one line per member",
    ));
    let text_channel = |name: &str, description: &str| {
        ChannelBuilder::new(name, description)
            .required(true)
            .channel_types([ChannelType::GuildText, ChannelType::GuildAnnouncement])
    };
    let role_verification = command(
        CommandName::AddRoleVerification,
        "Offer a role earned by a screenshot reviewed by staff, with its own panel (moderators)",
    )
    .option(
        StringBuilder::new("name", "What the role is for (e.g. Oryx 3 completion)")
            .required(true)
            .min_length(1)
            .max_length(80),
    )
    .option(RoleBuilder::new("role", "The role granted when staff approve").required(true))
    .option(text_channel(
        "review_channel",
        "Where staff review the screenshots",
    ))
    .option(text_channel("panel_channel", "Where to post the panel"))
    .option(
        StringBuilder::new("description", "What members must show (shown on the panel)")
            .max_length(1000),
    );
    let role_verifications = command(
        CommandName::RoleVerifications,
        "List the role verifications (custom role panels) and their numbers (moderators)",
    );
    let remove_role_verification = command(
        CommandName::RemoveRoleVerification,
        "Remove a role verification: its panels go away, granted roles stay (moderators)",
    )
    .option(
        IntegerBuilder::new("id", "Its number, as /roleverifications shows")
            .required(true)
            .min_value(1),
    );
    vec![
        role_verification.build(),
        role_verifications.build(),
        remove_role_verification.build(),
        config.build(),
        verify.build(),
        unverify.build(),
        editname.build(),
        addalt.build(),
        removealt.build(),
        forcesync.build(),
        syncteam.build(),
    ]
}
