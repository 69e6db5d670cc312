//! Verification: settings, the DM session, screenshot reviews, names and alts.
//!
//! On Discord most refusals speak to the member who is getting verified ("Please get
//! verified first"); in plain style the reader is staff or an API client acting for a member,
//! so those sentences speak about "the member" instead.

use domain::verification::{IgnError, Step, TeamLineError, Unmet};
use service::verification::{CheckFailure, VerificationError, VerificationSetting};

use crate::{Style, sentence};

/// Why a verification use case refused.
pub fn refusal(e: &VerificationError, s: Style) -> String {
    use VerificationError as E;
    let discord = s == Style::Discord;
    let text = match e {
        E::IgnTaken { ign } if discord => format!(
            "The name {} is already registered to another member of this server. If it is yours, please contact a staff member (Security or higher) to sort it out.",
            s.bold(ign)
        ),
        E::IgnTaken { ign } => {
            format!("The name {ign} is already registered to another member of this server.")
        }
        E::BadIgn(why) => bad_ign(why, s),
        E::NoMethod => {
            "At least one verification method (RealmEye or screenshot) must stay enabled.".into()
        }
        E::BadImageUrl => "The image must be an https:// link.".into(),
        E::GetverifiedNotConfigured if discord => {
            "There is no `getverified` channel yet: an administrator can set one with /setchannels."
                .into()
        }
        E::GetverifiedNotConfigured => {
            "There is no getverified channel yet: set one first (channels settings).".into()
        }
        E::BadRoleName => "The role verification needs a name of 1 to 80 characters.".into(),
        E::RoleVerificationGone => "This role verification no longer exists.".into(),
        E::NoSuchRoleVerification { id } if discord => {
            format!("There is no role verification #{id} here (see /roleverifications).")
        }
        E::NoSuchRoleVerification { id } => format!("There is no role verification {id}."),
        E::VerifyFirst if discord => "Please get verified first, then ask for this role.".into(),
        E::VerifyFirst => "The member must be verified before asking for this role.".into(),
        E::AlreadyVerified { ign } if discord => format!(
            "You are already verified here as **{}**. Ask staff if your name changed.",
            ign.as_deref().unwrap_or("?")
        ),
        E::AlreadyVerified { .. } => "The member is already verified.".into(),
        E::SessionGone => "This verification no longer exists.".into(),
        E::SessionClosed { step } if discord => {
            let what = match step {
                Step::Verified => "is finished: you are verified",
                Step::UnderReview => "is with staff now; you will get their answer here",
                Step::Denied => "was denied",
                Step::Expired => "expired after 30 minutes",
                _ => "was cancelled",
            };
            format!(
                "This verification {what}. Press **Get verified** in the server to start again."
            )
        }
        E::SessionClosed { step } => format!("This verification is closed ({step})."),
        E::NotYourSession => "This verification is someone else's.".into(),
        E::ReviewChannelMissing if discord => {
            "This server has no review channel for screenshots yet; please ask staff.".into()
        }
        E::ReviewChannelMissing => "There is no review channel for screenshots.".into(),
        E::ScreenshotDisabled if discord => {
            "This server does not review screenshots; please use RealmEye.".into()
        }
        E::ScreenshotDisabled => "This server does not review screenshots.".into(),
        E::NoCodeYet if discord => {
            "Send me your in-game name first; then I give you a code.".into()
        }
        E::NoCodeYet => "No code was issued yet: the in-game name comes first.".into(),
        E::CheckCooldown { seconds } if discord => format!(
            "Please wait {seconds} more seconds before checking again (RealmEye needs a moment to show changes)."
        ),
        E::CheckCooldown { seconds } => {
            format!("Wait {seconds} more seconds before checking again.")
        }
        E::ReviewGone => "This review no longer exists.".into(),
        E::ReviewWithdrawn => {
            "This role verification was removed, so this request can no longer be decided.".into()
        }
        E::ReviewDecided { state, by, at } => {
            let by = by
                .map(|u| format!(" by {}", s.member(u)))
                .unwrap_or_default();
            let when = at
                .map(|t| format!(" {}", s.relative(t)))
                .unwrap_or_default();
            format!("This screenshot was already {state}{by}{when}.")
        }
        E::IgnRequired if discord => "Enter the member's in-game name to approve.".into(),
        E::IgnRequired => "The member's in-game name is needed to approve.".into(),
        E::ReasonRequired => "Give the member a reason (1 to 1000 characters).".into(),
        E::NotVerified { user } => format!("{} is not verified.", s.member(*user)),
        E::NoMain { user } if discord => {
            format!("<@{user}> has no main name yet: verify them (or /editname) first.")
        }
        E::NoMain { user } => format!("Member {user} has no main name yet: verify them first."),
        E::AltExists { user, ign } => {
            format!("{} already has {}.", s.member(*user), s.bold(ign))
        }
        E::NoSuchAlt { user, ign } => {
            format!("{} has no alt named {}.", s.member(*user), s.bold(ign))
        }
        E::EmptyImport => "There are no lines to import.".into(),
        E::ImportTooBig { lines } => format!(
            "At most {} lines per import; this has {lines}.",
            service::verification::SYNC_MAX_LINES
        ),
        E::BadUserId(why) => why.to_string(),
        E::SettingTooLong { setting, max } => {
            format!("{} is at most {max} characters.", setting_name(*setting))
        }
        E::SettingOutOfRange {
            setting,
            max: Some(max),
        } => format!(
            "{} is a whole number from 0 (none) to {max}.",
            setting_name(*setting)
        ),
        E::SettingOutOfRange { setting, max: None } => {
            format!("{} is too large.", setting_name(*setting))
        }
    };
    sentence(s, text)
}

/// Why a text is not an in-game name. On Discord it answers the member who typed it (a DM
/// or a staff command), with an example; in plain style it names what is wrong.
pub fn bad_ign(e: &IgnError, s: Style) -> String {
    match e {
        IgnError::Empty if s == Style::Discord => {
            "Please send your in-game name: it cannot be empty.".into()
        }
        IgnError::Empty => "The in-game name cannot be empty.".into(),
        IgnError::TooLong(shown) => format!(
            "{} is longer than 10 characters; RotMG names have 1 to 10 letters.",
            s.code(shown)
        ),
        IgnError::NotLetters(shown) if s == Style::Discord => format!(
            "`{shown}` has spaces, digits or symbols; RotMG names are only letters (A–Z). Send just your name, e.g. `Stormveil`."
        ),
        IgnError::NotLetters(shown) => {
            format!("{shown} has spaces, digits or symbols; RotMG names are only letters (A–Z).")
        }
    }
}

/// Why a `/syncteam` line was not imported (after "line n: invalid — ").
pub fn team_line(e: &TeamLineError, s: Style) -> String {
    match e {
        TeamLineError::Shape => format!("expected {}", s.code("UserID MainIGN [AltIGN]")),
        TeamLineError::UserId(id) => format!("{} is not a Discord user id", s.code(id)),
        TeamLineError::Ign(why) => bad_ign(why, s),
        TeamLineError::AltIsMain => "the alt is the same name as the main".into(),
    }
}

/// Why pressing Done did not verify the member. On Discord it answers the member in their
/// DMs (and the veri_log shows the same words): what RealmEye showed and what to do next.
/// In plain style (the dashboard's history) it says what RealmEye showed.
pub fn check_failed(f: &CheckFailure, s: Style) -> String {
    use CheckFailure as F;
    let discord = s == Style::Discord;
    match f {
        F::CodeMissing { code, url } if discord => format!(
            "I could not find your code `{code}` in the description of {url}. Put it in any of the three description lines (Edit profile → Description), save, wait a few seconds and press **Done** again."
        ),
        F::CodeMissing { code, url } => {
            format!("The code {code} is not in the description of {url}.")
        }
        F::RequirementsUnmet { unmet, screenshot } if discord => {
            let fallback = if *screenshot {
                " You can instead send a screenshot for staff to review: press **Use a screenshot**."
            } else {
                ""
            };
            format!(
                "Your profile does not meet this server's requirements yet: {}.{fallback}",
                requirements(unmet, s)
            )
        }
        F::RequirementsUnmet { unmet, .. } => format!(
            "The profile does not meet this server's requirements: {}.",
            requirements(unmet, s)
        ),
        F::Private { url } if discord => format!(
            "Your RealmEye profile {url} is private, so I cannot read its description. Make it public (RealmEye → Settings → Privacy: show your profile), then press **Done** again."
        ),
        F::Private { url } => {
            format!("The RealmEye profile {url} is private, so its description cannot be read.")
        }
        F::NotFound { ign, url } if discord => format!(
            "RealmEye shows no profile for **{ign}** ({url}). Either the name is not spelled exactly as in the game, or the profile is private (make it public: RealmEye → Settings → Privacy), or RealmEye has not seen you yet (log in to the game once and wait a little). Fix whichever applies, then press **Done** again."
        ),
        F::NotFound { ign, url } => format!("RealmEye shows no profile for {ign} ({url})."),
        F::Unavailable { why } if discord => format!(
            "RealmEye cannot be reached right now ({why}). Nothing is lost: wait a minute and press **Done** again."
        ),
        F::Unavailable { why } => format!("RealmEye could not be reached ({why})."),
        F::Unparseable if discord => "RealmEye answered with a page I could not read. Please try again in a minute; if it keeps happening, ask staff to verify you by screenshot.".into(),
        F::Unparseable => "RealmEye answered with a page that could not be read.".into(),
    }
}

/// The requirements a profile misses, `; `-separated, each with what the profile shows
/// (yours, on Discord; theirs, in plain style).
fn requirements(unmet: &[Unmet], s: Style) -> String {
    let whose = if s == Style::Discord {
        "yours"
    } else {
        "theirs"
    };
    let shown = |v: Option<String>| v.unwrap_or_else(|| "hidden".to_owned());
    let words: Vec<String> = unmet
        .iter()
        .map(|u| match u {
            Unmet::Rank { min, shown: v } => format!(
                "a rank of at least {min} stars ({whose}: {})",
                shown(v.map(|r| r.to_string()))
            ),
            Unmet::AliveFame { min, shown: v } => format!(
                "at least {min} alive fame ({whose}: {})",
                shown(v.map(|f| f.to_string()))
            ),
            Unmet::Characters { min, shown: v } => format!(
                "at least {min} characters ({whose}: {})",
                shown(v.map(|c| c.to_string()))
            ),
            Unmet::AccountAgeDays { min, shown: v } => format!(
                "an account at least {min} days old ({whose}: {})",
                shown(v.map(|d| format!("about {d} days")))
            ),
            Unmet::LocationShown { place } if s == Style::Discord => format!(
                "your last-seen location hidden on RealmEye (it shows {place}; hide it under Settings → Privacy)"
            ),
            Unmet::LocationShown { place } => {
                format!("the last-seen location hidden on RealmEye (it shows {place})")
            }
        })
        .collect();
    words.join("; ")
}

/// A verification setting, as a sentence starts with it.
fn setting_name(setting: VerificationSetting) -> &'static str {
    match setting {
        VerificationSetting::PanelMessage => "The panel message",
        VerificationSetting::ImageUrl => "The image address",
        VerificationSetting::MinRank => "The minimum rank",
        VerificationSetting::MinCharacters => "The minimum number of characters",
        VerificationSetting::MinAccountAgeDays => "The minimum account age in days",
        VerificationSetting::MinAliveFame => "The minimum alive fame",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, user};

    #[test]
    fn member_refusals_mention_on_discord_and_name_the_id_in_plain() {
        let e = VerificationError::NoSuchAlt {
            user: user(42),
            ign: "Samwise".into(),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "<@42> has no alt named **Samwise**."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "Member 42 has no alt named Samwise."
        );
    }

    #[test]
    fn a_decided_review_says_by_whom_and_when() {
        let e = VerificationError::ReviewDecided {
            state: "approved".into(),
            by: Some(user(5)),
            at: Some(at()),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "This screenshot was already approved by <@5> <t:1800000000:R>."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "This screenshot was already approved by member 5 at 2027-01-15T08:00:00Z."
        );
    }

    #[test]
    fn a_bad_name_keeps_its_backticks_on_discord_only() {
        let e = IgnError::NotLetters("Storm veil!".into());
        assert_eq!(
            bad_ign(&e, Style::Discord),
            "`Storm veil!` has spaces, digits or symbols; RotMG names are only letters (A–Z). Send just your name, e.g. `Stormveil`."
        );
        assert_eq!(
            bad_ign(&e, Style::Plain),
            "Storm veil! has spaces, digits or symbols; RotMG names are only letters (A–Z)."
        );
        let long = VerificationError::BadIgn(IgnError::TooLong("Abcdefghijk".into()));
        assert_eq!(
            refusal(&long, Style::Discord),
            "`Abcdefghijk` is longer than 10 characters; RotMG names have 1 to 10 letters."
        );
        assert_eq!(
            team_line(&TeamLineError::UserId("x".into()), Style::Discord),
            "`x` is not a Discord user id"
        );
    }

    #[test]
    fn an_unmet_requirement_names_the_minimum_and_what_the_profile_shows() {
        let f = CheckFailure::RequirementsUnmet {
            unmet: vec![
                Unmet::Rank {
                    min: 50,
                    shown: Some(10),
                },
                Unmet::AccountAgeDays {
                    min: 30,
                    shown: None,
                },
                Unmet::LocationShown {
                    place: "USEast".into(),
                },
            ],
            screenshot: true,
        };
        assert_eq!(
            check_failed(&f, Style::Discord),
            "Your profile does not meet this server's requirements yet: a rank of at least 50 stars (yours: 10); an account at least 30 days old (yours: hidden); your last-seen location hidden on RealmEye (it shows USEast; hide it under Settings → Privacy). You can instead send a screenshot for staff to review: press **Use a screenshot**."
        );
        assert_eq!(
            check_failed(&f, Style::Plain),
            "The profile does not meet this server's requirements: a rank of at least 50 stars (theirs: 10); an account at least 30 days old (theirs: hidden); the last-seen location hidden on RealmEye (it shows USEast)."
        );
        let private = CheckFailure::Private {
            url: "https://www.realmeye.com/player/Hidden".into(),
        };
        assert!(check_failed(&private, Style::Discord).contains("is private"));
        assert!(!check_failed(&private, Style::Plain).contains("**"));
    }

    #[test]
    fn the_member_is_spoken_to_on_discord_and_about_in_plain() {
        let e = VerificationError::VerifyFirst;
        assert!(refusal(&e, Style::Discord).starts_with("Please get verified first"));
        assert!(refusal(&e, Style::Plain).starts_with("The member must be verified"));
    }
}
