//! What a broadcast (or a schedule) targets — a list of room ids, `"all"`, or
//! `{"tag": …}` — and how it resolves against the `rooms` table; and the delivery
//! [`Priority`] of a job.

use std::collections::HashSet;

use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

use super::rooms::RoomRow;
use super::{DbConn, StoreError};
use crate::model::RoomId;
use crate::schema::rooms;

/// Ids per `IN (…)` (SQLite binds at most 32766 variables per statement).
const ID_CHUNK: usize = 1000;

/// The accepted forms of a target, as its error messages name them.
pub const TARGET_FORMS: &str = r#"rooms must be a list of room ids, "all", or {"tag": T}"#;

/// Which rooms a broadcast goes to: a list of ids, `"all"`, or `{"tag": …}`. Its
/// schema in the OpenAPI document (`Target`, a `oneOf` of the three forms) is written
/// in `http/openapi/schemas.rs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Target {
    Rooms(Vec<String>),
    Tag {
        tag: String,
    },
    /// Only `"all"` is valid; anything else is refused by [`Target::check`].
    Keyword(String),
}

/// How a target is read: [`Target`]'s forms, untagged. Read through this type so a
/// value that matches none of them is refused with a message naming the accepted forms
/// ([`TARGET_FORMS`]) rather than serde's, which names the Rust type.
#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum TargetForm {
    Rooms(Vec<String>),
    Tag { tag: String },
    Keyword(String),
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let got = match &value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "a list with an item that is not a string",
            serde_json::Value::Object(_) => r#"an object other than {"tag": T}"#,
        };
        match TargetForm::deserialize(value) {
            Ok(TargetForm::Rooms(ids)) => Ok(Self::Rooms(ids)),
            Ok(TargetForm::Tag { tag }) => Ok(Self::Tag { tag }),
            Ok(TargetForm::Keyword(k)) => Ok(Self::Keyword(k)),
            Err(_) => Err(serde::de::Error::custom(format!("{TARGET_FORMS}; got {got}"))),
        }
    }
}

/// Why a target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{TARGET_FORMS}; got {0:?}")]
    UnknownKeyword(String),
    #[error("rooms[{0}] is not a valid room id")]
    InvalidRoomId(usize),
    #[error("tag must be 1 to 64 characters, without NUL")]
    InvalidTag,
    #[error("the target matches no room")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for TargetError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl crate::error::HasCode for TargetError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            _ => crate::error::ErrorCode::Unprocessable,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Store(e) => e.public_message(),
            other => other.to_string(),
        }
    }
}

/// A target resolved against the rooms table: existing rooms and unknown ids.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub rooms: Vec<String>,
    pub unknown: Vec<String>,
}

impl Target {
    /// Checks the shape without the store (ids match the room id pattern, the keyword
    /// is `all`, the tag is sane).
    pub fn check(&self) -> Result<(), TargetError> {
        match self {
            Self::Keyword(k) if k == "all" => Ok(()),
            Self::Keyword(k) => Err(TargetError::UnknownKeyword(k.chars().take(64).collect())),
            Self::Tag { tag } if tag.is_empty() || tag.chars().count() > 64 || tag.contains('\0') => {
                Err(TargetError::InvalidTag)
            }
            Self::Tag { .. } => Ok(()),
            Self::Rooms(ids) => match ids.iter().position(|id| RoomId::parse(id).is_err()) {
                Some(i) => Err(TargetError::InvalidRoomId(i)),
                None if ids.is_empty() => Err(TargetError::Empty),
                None => Ok(()),
            },
        }
    }

    /// The rooms this target names now. A listed id that is not a room is `unknown`
    /// (reported per room); a target that names nothing at all is `Empty`.
    pub fn resolve(&self, c: &mut DbConn) -> Result<Resolved, TargetError> {
        self.check()?;
        let resolved = match self {
            Self::Keyword(_) => Resolved {
                rooms: RoomRow::matching(c, None, None)?.into_iter().map(|r| r.id).collect(),
                unknown: Vec::new(),
            },
            Self::Tag { tag } => Resolved {
                rooms: RoomRow::matching(c, None, Some(tag))?.into_iter().map(|r| r.id).collect(),
                unknown: Vec::new(),
            },
            Self::Rooms(ids) => {
                let mut ids = ids.clone();
                ids.sort();
                ids.dedup();
                let mut existing = HashSet::new();
                for chunk in ids.chunks(ID_CHUNK) {
                    let found: Vec<String> =
                        rooms::table.filter(rooms::id.eq_any(chunk)).select(rooms::id).load(c)?;
                    existing.extend(found);
                }
                let (rooms, unknown) = ids.into_iter().partition(|id| existing.contains(id));
                Resolved { rooms, unknown }
            }
        };
        if resolved.rooms.is_empty() && resolved.unknown.is_empty() {
            return Err(TargetError::Empty);
        }
        Ok(resolved)
    }
}

/// Delivery priority across running jobs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Priority {
    High,
    #[default]
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Self::High, Self::Normal, Self::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Normal => "normal",
            Self::Low => "low",
        }
    }

    /// A priority named in a request: exactly `high`, `normal` or `low`.
    pub fn named(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// A stored value; anything unknown reads as `normal`.
    pub fn parse(s: &str) -> Self {
        match s {
            "high" => Self::High,
            "low" => Self::Low,
            _ => Self::Normal,
        }
    }
}

/// Read from a string (not serde's enum form), so a wrong JSON type — `1`, `true`,
/// `{}` — is a data error (422) like an unknown name, not a syntax error (400).
impl TryFrom<String> for Priority {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::named(&s)
            .ok_or_else(|| format!("unknown variant `{s}`, expected one of `high`, `normal`, `low`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_target_with_other_keys_and_a_priority_of_another_type_are_data_errors() {
        assert!(serde_json::from_str::<Target>(r#"{"tag":"eu","extra":1}"#).is_err());
        for bad in ["1", "true", "{}", "null", r#""urgent""#] {
            let e = serde_json::from_str::<Priority>(bad).expect_err(bad);
            assert!(e.is_data(), "{bad}: {e}");
        }
        assert_eq!(serde_json::from_str::<Priority>(r#""high""#).ok(), Some(Priority::High));
    }

    /// A value of none of the three forms is refused with a message naming them, and
    /// what was given, not the Rust type.
    #[test]
    fn a_target_of_no_form_names_the_accepted_forms() {
        for (bad, got) in [
            ("5", "a number"),
            ("null", "null"),
            ("true", "a boolean"),
            (r#"["a", 1]"#, "a list with an item"),
            (r#"{"tag": "eu", "extra": 1}"#, "an object other than"),
            (r#"{"tags": "eu"}"#, "an object other than"),
        ] {
            let e = serde_json::from_str::<Target>(bad).expect_err(bad).to_string();
            assert!(e.starts_with(TARGET_FORMS), "{bad}: {e}");
            assert!(e.contains(got), "{bad}: {e}");
            assert!(!e.contains("Target") && !e.contains("untagged"), "{bad}: {e}");
        }
    }

    #[test]
    fn targets_parse_from_the_three_shapes() {
        let t: Target = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(t, Target::Rooms(vec!["a".into(), "b".into()]));
        let t: Target = serde_json::from_str(r#""all""#).unwrap();
        assert!(t.check().is_ok());
        let t: Target = serde_json::from_str(r#"{"tag":"eu"}"#).unwrap();
        assert_eq!(t, Target::Tag { tag: "eu".into() });
        let bad: Target = serde_json::from_str(r#""some""#).unwrap();
        assert!(matches!(bad.check(), Err(TargetError::UnknownKeyword(_))));
        assert!(bad.check().unwrap_err().to_string().starts_with(TARGET_FORMS));
        assert!(matches!(Target::Rooms(vec![]).check(), Err(TargetError::Empty)));
        assert!(matches!(
            Target::Rooms(vec!["ok".into(), "Bad!".into()]).check(),
            Err(TargetError::InvalidRoomId(1))
        ));
    }
}
