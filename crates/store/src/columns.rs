//! Column types that decode straight into `domain` types, so that rows map to types with
//! `#[derive(sqlx::FromRow)]`: mark a field `#[sqlx(try_from = "columns::Id")]` (a
//! `Snowflake`), `"columns::OptId"` (an `Option<Snowflake>`), `"columns::OptIgn"` (an
//! `Option<Ign>`) or `"columns::Text"` (a text code such as a run status). A value that
//! does not fit is a decode error naming the column.

use domain::Snowflake;

/// A `bigint` snowflake column.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct Id(i64);

impl TryFrom<Id> for Snowflake {
    type Error = domain::snowflake::InvalidSnowflake;
    fn try_from(v: Id) -> Result<Self, Self::Error> {
        Snowflake::from_db(v.0)
    }
}

/// A nullable `bigint` snowflake column.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptId(Option<i64>);

impl TryFrom<OptId> for Option<Snowflake> {
    type Error = domain::snowflake::InvalidSnowflake;
    fn try_from(v: OptId) -> Result<Self, Self::Error> {
        v.0.map(Snowflake::from_db).transpose()
    }
}

/// A `bigint[]` of snowflakes.
#[derive(Debug, Clone, sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub struct Ids(Vec<i64>);

impl TryFrom<Ids> for Vec<Snowflake> {
    type Error = domain::snowflake::InvalidSnowflake;
    fn try_from(v: Ids) -> Result<Self, Self::Error> {
        v.0.into_iter().map(Snowflake::from_db).collect()
    }
}

/// A nullable in-game name column (the table's CHECK keeps it a valid name).
#[derive(Debug, Clone, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptIgn(Option<String>);

impl TryFrom<OptIgn> for Option<domain::Ign> {
    type Error = domain::verification::IgnError;
    fn try_from(v: OptIgn) -> Result<Self, Self::Error> {
        v.0.map(domain::Ign::try_from).transpose()
    }
}

/// A `bigint` amount of points.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct Amount(i64);

impl From<Amount> for domain::quota::Points {
    fn from(v: Amount) -> Self {
        domain::quota::Points(v.0)
    }
}

/// A text code that parses into a domain enum.
#[derive(Debug, Clone, sqlx::Type)]
#[sqlx(transparent)]
pub struct Text(pub(crate) String);

/// A nullable text code.
#[derive(Debug, Clone, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptText(pub(crate) Option<String>);

/// A stored text code the domain does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{code}`")]
pub struct UnknownCode {
    pub(crate) what: &'static str,
    pub(crate) code: String,
}

/// `TryFrom<Text>` and `TryFrom<OptText>` for enums with `parse(&str) -> Option<Self>`.
macro_rules! text_codes {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl TryFrom<$crate::columns::Text> for $ty {
            type Error = $crate::columns::UnknownCode;
            fn try_from(v: $crate::columns::Text) -> Result<Self, Self::Error> {
                <$ty>::parse(&v.0).ok_or($crate::columns::UnknownCode { what: $what, code: v.0 })
            }
        }
        impl TryFrom<$crate::columns::OptText> for Option<$ty> {
            type Error = $crate::columns::UnknownCode;
            fn try_from(v: $crate::columns::OptText) -> Result<Self, Self::Error> {
                v.0.map(|code| $crate::columns::Text(code).try_into()).transpose()
            }
        }
    )*};
}
pub(crate) use text_codes;

text_codes! {
    domain::RunStatus => "run status",
    domain::moderation::PunishmentKind => "punishment kind",
    domain::headcount::HeadcountStatus => "headcount status",
    domain::headcount::ReactionKind => "headcount answer",
    domain::quota::Currency => "point currency",
    domain::quota::PointKind => "point kind",
}
