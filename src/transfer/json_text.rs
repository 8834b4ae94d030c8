//! Serde for the store's JSON-text columns (`rooms.tags`, `rooms.settings`,
//! `tokens.roles`, `broadcasts.target`, `schedules.target`, `audit_log.detail`): in an
//! export file the column is the JSON value itself, not a string holding it; read
//! back, the value is stored as its compact text. Stored text that is not JSON cannot
//! be written (the export stops and names it).

use serde::de::Deserializer;
use serde::ser::{Error as _, Serializer};
use serde::Deserialize;

pub fn serialize<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| S::Error::custom(format!("stored text {text:?} is not JSON: {e}")))?;
    serde::Serialize::serialize(&value, s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value.to_string())
}
