-- The webhook outbox's triggers on PostgreSQL (src/store/event_triggers.rs installs
-- them with the first webhook and drops them with the last; migration
-- …000011_webhooks created the outbox and the function webhook_event() they call).

CREATE TRIGGER webhook_event_message AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_message_deleted AFTER UPDATE OF deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_member_joined AFTER INSERT ON members FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_member_left AFTER DELETE ON members FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_room_created AFTER INSERT ON rooms FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_room_deleted AFTER DELETE ON rooms FOR EACH ROW EXECUTE FUNCTION webhook_event();
CREATE TRIGGER webhook_event_broadcast_finished AFTER UPDATE OF finished_at ON broadcasts
    FOR EACH ROW EXECUTE FUNCTION webhook_event();
