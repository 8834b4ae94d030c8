//! Diesel table definitions, shared by both backends (see `migrations/`).

diesel::table! {
    rooms (id) {
        id -> Text,
        name -> Text,
        tags -> Text,
        settings -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        roles -> Text,
        secret_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    members (room_id, user_id) {
        room_id -> Text,
        user_id -> Text,
        name -> Text,
        kind -> Text,
        role -> Text,
        role_expires_at -> Nullable<BigInt>,
        base_role -> Text,
        last_read_seq -> BigInt,
        last_seen -> Nullable<BigInt>,
        joined_at -> BigInt,
    }
}

diesel::table! {
    messages (room_id, seq) {
        room_id -> Text,
        seq -> BigInt,
        sender_id -> Text,
        sender_name -> Text,
        sender_kind -> Text,
        text -> Text,
        client_id -> Nullable<Text>,
        reply_to -> Nullable<Text>,
        ts -> BigInt,
        announcement -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        actor_id -> Text,
        actor_name -> Text,
        action -> Text,
        target -> Text,
        detail -> Text,
    }
}

diesel::table! {
    welcomes (room_id, user_id) {
        room_id -> Text,
        user_id -> Text,
        welcomed_at -> BigInt,
    }
}

diesel::joinable!(members -> rooms (room_id));
diesel::joinable!(welcomes -> rooms (room_id));
diesel::allow_tables_to_appear_in_same_query!(rooms, tokens, members, messages, audit_log, welcomes);
