//! Diesel table definitions, shared by both backends (see `migrations/`).

diesel::table! {
    rooms (id) {
        id -> Text,
        name -> Text,
        tags -> Text,
        settings -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_message_at -> BigInt,
        member_count -> BigInt,
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
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Text>,
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
        request_id -> Nullable<Text>,
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

diesel::table! {
    broadcasts (id) {
        id -> Text,
        text -> Text,
        target -> Text,
        priority -> Text,
        status -> Text,
        created_by -> Text,
        schedule_id -> Nullable<Text>,
        created_at -> BigInt,
        started_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    broadcast_rooms (broadcast_id, room_id) {
        broadcast_id -> Text,
        room_id -> Text,
        status -> Text,
        attempts -> BigInt,
        last_error -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    schedules (id) {
        id -> Text,
        cron -> Text,
        timezone -> Text,
        target -> Text,
        text -> Text,
        priority -> Text,
        enabled -> Bool,
        next_run_at -> Nullable<BigInt>,
        last_run_at -> Nullable<BigInt>,
        last_broadcast_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    schedule_fires (schedule_id, due_at) {
        schedule_id -> Text,
        due_at -> BigInt,
        handled_at -> BigInt,
        outcome -> Text,
        reason -> Nullable<Text>,
        broadcast_id -> Nullable<Text>,
    }
}

diesel::joinable!(broadcast_rooms -> broadcasts (broadcast_id));
diesel::allow_tables_to_appear_in_same_query!(broadcasts, broadcast_rooms, schedules, schedule_fires);

diesel::table! {
    cluster_nodes (node_id) {
        node_id -> Text,
        address -> Text,
        started_at -> BigInt,
        heartbeat_at -> BigInt,
        connections -> BigInt,
    }
}

diesel::table! {
    cluster_leases (name) {
        name -> Text,
        node_id -> Text,
        epoch -> BigInt,
        acquired_at -> BigInt,
    }
}

diesel::table! {
    room_restrictions (room_id, kind, user_id) {
        room_id -> Text,
        kind -> Text,
        user_id -> Text,
        expires_at -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        rooms -> Text,
        tags -> Text,
        secret -> Text,
        state -> Text,
        failures -> BigInt,
        last_status -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_attempt_at -> Nullable<BigInt>,
        position -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> Text,
        at -> BigInt,
        test -> Bool,
        events -> BigInt,
        status -> Nullable<BigInt>,
        error -> Nullable<Text>,
        latency_ms -> BigInt,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        kind -> Text,
        room_id -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        payload -> Text,
        at -> BigInt,
        pos -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries, webhook_events);
