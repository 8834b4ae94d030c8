"""WebSocket frames by hand (RFC 6455 §5.2), for the scripts that must send what a
client library never would (hostile.py, fuzz_ws.py): headers that lie about their
size, reserved bits, unmasked frames, fragments out of order."""

ZERO_MASK = b"\0\0\0\0"


def frame(opcode, payload, fin=True, masked=True, rsv=0, declared=None, mask=ZERO_MASK):
    """A client frame. `declared`: the length to put in the header instead of the
    payload's. The all-zero mask is legal and costs no per-byte work."""
    n = len(payload) if declared is None else declared
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    m = 0x80 if masked else 0
    if n < 126:
        head += bytes([m | n])
    elif n <= 0xFFFF:
        head += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([m | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    if mask == ZERO_MASK:
        return head + mask + payload
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def take_server_frame(buf):
    """The server frame at the start of `buf` as (opcode, payload, rest of buf), or
    None while it is incomplete."""
    if len(buf) < 2:
        return None
    n, start = buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, start = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, start = int.from_bytes(buf[2:10], "big"), 10
    if len(buf) < start + n:
        return None
    return buf[0] & 0x0F, buf[start:start + n], buf[start + n:]
