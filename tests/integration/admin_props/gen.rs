//! Generators of what a body field can hold: values the docs allow (arbitrary unicode
//! within the length limits, biased to the boundaries) and values that break one rule,
//! each tagged with the error code docs/ADMIN_API.md gives for that rule; and bodies
//! assembled from such fields, which know the codes their faults call for.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

use super::Code;

/// A body field: left out, a valid value, a value that breaks a rule (refused with the
/// code), or left out although required (422).
#[derive(Debug, Clone)]
pub enum Field {
    Absent,
    Good(Value),
    Bad(Value, Code),
    Missing,
}

impl Field {
    /// The code this field calls for, if it breaks a rule.
    pub fn fault(&self) -> Option<Code> {
        match self {
            Self::Bad(_, code) => Some(*code),
            Self::Missing => Some(Code::Unprocessable),
            Self::Absent | Self::Good(_) => None,
        }
    }

    /// The valid value given, if any.
    pub fn good(&self) -> Option<&Value> {
        match self {
            Self::Good(v) => Some(v),
            _ => None,
        }
    }
}

/// `field`, except that leaving it out is a fault (a required field).
pub fn required(field: impl Strategy<Value = Field>) -> impl Strategy<Value = Field> {
    field.prop_map(|f| match f {
        Field::Absent => Field::Missing,
        other => other,
    })
}

/// Absent, valid (`good`) or invalid (`bad`, each with its code): valid 3 times in 4,
/// so that a body with several fields is often valid, or broken in one field only
/// (two faults can hide one another: only the first checked is answered).
pub fn field(
    good: impl Strategy<Value = Value> + 'static,
    bad: impl Strategy<Value = (Value, Code)> + 'static,
) -> BoxedStrategy<Field> {
    prop_oneof![
        2 => Just(Field::Absent),
        12 => good.prop_map(Field::Good),
        2 => bad.prop_map(|(v, c)| Field::Bad(v, c)),
    ]
    .boxed()
}

/// A JSON object body and the codes its faults call for (none: it must be accepted).
#[derive(Debug, Clone)]
pub struct Body {
    pub json: Value,
    pub faults: Vec<Code>,
}

impl Body {
    /// The object with the fields given (absent ones left out) and, if `extra`, one
    /// field the endpoint does not take (422).
    pub fn new(fields: &[(&str, &Field)], extra: &Option<(String, Value)>) -> Self {
        let mut json = Map::new();
        let mut faults = Vec::new();
        for (name, f) in fields {
            if let Field::Good(v) | Field::Bad(v, _) = f {
                json.insert(name.to_string(), v.clone());
            }
            faults.extend(f.fault());
        }
        if let Some((k, v)) = extra {
            json.insert(k.clone(), v.clone());
            faults.push(Code::Unprocessable);
        }
        Self { json: Value::Object(json), faults }
    }
}

/// Sometimes a field the endpoint does not take: a made-up name or one of `known` in
/// another case or with a blank added (field names are exact).
pub fn extra_field(known: &'static [&'static str]) -> BoxedStrategy<Option<(String, Value)>> {
    let name = prop_oneof![
        select(vec!["extra", "x", "", "__proto__", "id2", "settings_"]).prop_map(str::to_string),
        select(known.to_vec()).prop_map(|k| k.to_uppercase()),
        select(known.to_vec()).prop_map(|k| format!("{k} ")),
    ]
    .prop_filter("not a field the endpoint takes", move |k| !known.contains(&k.as_str()));
    prop_oneof![7 => Just(None), 1 => (name, json_leaf()).prop_map(Some)].boxed()
}

/// Characters for which `char::is_whitespace` holds (what `str::trim` removes).
pub const BLANKS: &[char] = &[
    ' ', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2007}',
    '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
];

/// Characters that tend to break things: controls, invisible and direction marks,
/// combining marks, noncharacters, astral planes, JSON and URL specials.
const EDGE: &[char] = &[
    '\u{1}',
    '\u{1b}',
    '\u{1f}',
    '\u{7f}',
    '\u{80}',
    '\u{9f}',
    '\u{ad}',
    '\u{200b}',
    '\u{200d}',
    '\u{200e}',
    '\u{202e}',
    '\u{2066}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{e000}',
    '\u{d7ff}',
    '\u{10ffff}',
    '\u{1f600}',
    '\u{1f468}',
    '\u{1f3fb}',
    '\u{301}',
    '\u{35c}',
    'é',
    'ß',
    'İ',
    'ﬃ',
    'Σ',
    'ς',
    '中',
    'ی',
    '"',
    '\\',
    '/',
    '%',
    '+',
    '?',
    '#',
    '&',
    '{',
    '}',
    '<',
    '\'',
    '`',
    '.',
    ' ',
];

/// Any character but NUL, biased to the edge cases above and to blanks: a cheap map
/// of a `u32` (a union of strategies per character made a 4000-character string take
/// most of a case's time in a debug build). Shrinks toward `a`.
pub fn any_char() -> BoxedStrategy<char> {
    any::<u32>().prop_map(char_of).boxed()
}

fn char_of(n: u32) -> char {
    let (kind, x) = (n % 11, n / 11);
    match kind {
        0..=2 => char::from(b'a' + (x % 26) as u8),
        3 => BLANKS[x as usize % BLANKS.len()],
        4..=6 => EDGE[x as usize % EDGE.len()],
        // Any scalar value but NUL: the BMP, then all planes.
        7..=8 => char::from_u32(1 + x % 0xFFFF).unwrap_or('\u{fffd}'),
        _ => char::from_u32(1 + x % 0x10FFFF).unwrap_or('\u{10ffff}'),
    }
}

/// A length in `min..=max`, often one of the two ends.
fn length(min: usize, max: usize) -> BoxedStrategy<usize> {
    prop_oneof![Just(min), Just(max), min..=max, min..=max.min(min + 3)].boxed()
}

/// A string of `min..=max` characters (not bytes), none of them NUL.
pub fn chars(min: usize, max: usize) -> BoxedStrategy<String> {
    length(min, max).prop_flat_map(|n| vec(any_char(), n)).prop_map(String::from_iter).boxed()
}

/// 1 to `max` characters, not only blanks, no NUL (a name).
pub fn name(max: usize) -> BoxedStrategy<String> {
    chars(1, max).prop_filter("not only blanks", |s| !s.trim().is_empty()).boxed()
}

/// 1 to 8 blank characters.
pub fn blank() -> BoxedStrategy<String> {
    vec(select(BLANKS), 1..8).prop_map(String::from_iter).boxed()
}

/// A string of `min..=max` characters (NUL included) with a NUL somewhere in it.
pub fn with_nul(min: usize, max: usize) -> BoxedStrategy<String> {
    (chars(min.saturating_sub(1), max - 1), any::<prop::sample::Index>())
        .prop_map(|(s, at)| {
            let mut cs: Vec<char> = s.chars().collect();
            cs.insert(at.index(cs.len() + 1), '\0');
            cs.into_iter().collect()
        })
        .boxed()
}

/// A string of more than `max` characters (up to 8 more), no NUL.
pub fn too_long(max: usize) -> BoxedStrategy<String> {
    chars(max + 1, max + 8)
}

/// Scalars and small containers of every JSON type but null.
pub fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        select(vec![0.5, -0.0, 1e300, -1e-300]).prop_map(Value::from),
        chars(0, 12).prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(Value::Object(Map::new())),
    ]
    .boxed()
}

/// The JSON type of `v`, for wrong-type generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Number,
    String,
    Array,
    Object,
}

pub fn kind_of(v: &Value) -> Option<Kind> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some(Kind::Bool),
        Value::Number(_) => Some(Kind::Number),
        Value::String(_) => Some(Kind::String),
        Value::Array(_) => Some(Kind::Array),
        Value::Object(_) => Some(Kind::Object),
    }
}

/// A value of any JSON type but `kind` and null, tagged 422 (a wrong field type).
pub fn wrong_type(kind: Kind) -> BoxedStrategy<(Value, Code)> {
    prop_oneof![json_leaf(), json_value(&["a", "id", "text"])]
        .prop_filter("another type", move |v| kind_of(v).is_some_and(|k| k != kind))
        .prop_map(|v| (v, Code::Unprocessable))
        .boxed()
}

/// Any JSON value, nested up to 4 deep; object keys are often from `keys`.
pub fn json_value(keys: &'static [&'static str]) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![Just(Value::Null), json_leaf()];
    let key = prop_oneof![select(keys.to_vec()).prop_map(str::to_string), chars(0, 6)];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key.clone(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A valid room id, `[a-z0-9][a-z0-9_-]{0,63}`, often 64 long.
pub fn room_id() -> BoxedStrategy<String> {
    prop_oneof![
        3 => proptest::string::string_regex("[a-z0-9][a-z0-9_-]{0,12}").expect("regex"),
        1 => proptest::string::string_regex("[a-z0-9][a-z0-9_-]{63}").expect("regex"),
    ]
    .boxed()
}

/// A string that is not a room id (422 where a body names a room).
pub fn bad_room_id() -> BoxedStrategy<String> {
    let re = |r: &str| proptest::string::string_regex(r).expect("regex");
    prop_oneof![
        Just(String::new()),
        re("[A-Z][a-z0-9]{0,6}"),
        re("[a-z0-9][a-z0-9_-]{64,70}"),
        re("[_-][a-z0-9]{0,6}"),
        re("[a-z0-9]{1,4}[ A-Zé./:%\u{0}\u{200b}][a-z0-9]{0,4}"),
    ]
    .boxed()
}
