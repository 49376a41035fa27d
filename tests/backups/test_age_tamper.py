"""Tampering, truncation and wrong keys: each is a distinct error, and no unauthenticated plaintext is written."""

from __future__ import annotations

import io
import os

import pytest

from backups.age import (
    CHUNK_SIZE,
    AgeError,
    ChunkAuthenticationError,
    Decryptor,
    HeaderError,
    HeaderMacError,
    NoIdentityMatchError,
    NotAgeFileError,
    PayloadError,
    TrailingDataError,
    TruncatedError,
    TruncatedOrCorruptedError,
    UnsupportedVersionError,
    X25519Identity,
    decrypt,
    encrypt,
)

ENCRYPTED_CHUNK = CHUNK_SIZE + 16
IDENTITY = X25519Identity.generate()
SHORT_END = os.urandom(3 * CHUNK_SIZE + 1000)  # chunks 0..3, the last one short
FULL_END = os.urandom(3 * CHUNK_SIZE)  # chunks 0..2, the last one full


def seal(data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(data), out, [IDENTITY.recipient])
    return out.getvalue()


@pytest.fixture(scope="module")
def short_end() -> bytes:
    return seal(SHORT_END)


@pytest.fixture(scope="module")
def full_end() -> bytes:
    return seal(FULL_END)


def payload_start(ciphertext: bytes) -> int:
    """Offset of the first chunk: after the header and the 16-byte payload nonce."""
    mac_line = ciphertext.index(b"\n--- ") + 1
    return ciphertext.index(b"\n", mac_line) + 1 + 16


def chunk_start(ciphertext: bytes, index: int) -> int:
    return payload_start(ciphertext) + index * ENCRYPTED_CHUNK


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def attempt(ciphertext: bytes, identity: X25519Identity = IDENTITY) -> tuple[AgeError | None, bytes]:
    """Decrypt; return the error (if any) and every byte that was written to the output."""
    out = io.BytesIO()
    try:
        decrypt(io.BytesIO(ciphertext), out, [identity])
    except AgeError as error:
        return error, out.getvalue()
    return None, out.getvalue()


def test_intact_files_decrypt(short_end: bytes, full_end: bytes) -> None:
    assert attempt(short_end) == (None, SHORT_END)
    assert attempt(full_end) == (None, FULL_END)


# The header


def test_wrong_identity(short_end: bytes) -> None:
    error, written = attempt(short_end, X25519Identity.generate())
    assert isinstance(error, NoIdentityMatchError)
    assert str(error) == "no identity matches any recipient of this file"
    assert written == b""


def replace_in_header(ciphertext: bytes, old: bytes, new: bytes) -> bytes:
    end = payload_start(ciphertext)
    assert ciphertext[:end].count(old) == 1
    return ciphertext[:end].replace(old, new) + ciphertext[end:]


def other_base64_char(char: int) -> bytes:
    return b"B" if char != ord("B") else b"C"


def test_flipped_byte_in_the_stanza_body_or_share(short_end: bytes) -> None:
    lines = short_end.split(b"\n")
    body, share = lines[2], lines[1].split(b" ")[2]
    for old in (body, share):
        new = other_base64_char(old[0]) + old[1:]
        error, written = attempt(replace_in_header(short_end, old, new))
        assert isinstance(error, NoIdentityMatchError), error
        assert written == b""


def test_bad_mac(short_end: bytes) -> None:
    mac = short_end.split(b"\n--- ")[1].split(b"\n")[0]
    error, written = attempt(replace_in_header(short_end, mac, other_base64_char(mac[0]) + mac[1:]))
    assert isinstance(error, HeaderMacError)
    assert "MAC" in str(error)
    assert written == b""


def test_a_stanza_added_without_the_key_breaks_the_mac(short_end: bytes) -> None:
    tampered = replace_in_header(short_end, b"\n--- ", b"\n-> grease x\nAAAA\n--- ")
    error, written = attempt(tampered)
    assert isinstance(error, HeaderMacError)
    assert written == b""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"age-encryption.org/v1\n", b"age-encryption.org/v2\n", UnsupportedVersionError),
        (b"age-encryption.org/v1\n", b"agf-encryption.org/v1\n", NotAgeFileError),
        (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----\n", NotAgeFileError),
        (b"\n--- ", b"\n---  ", HeaderError),  # two spaces
        (b"\n--- ", b"\n---", HeaderError),
        (b"\n-> X25519 ", b"\n-> X25519  ", HeaderError),  # empty argument
        (b"\n-> X25519 ", b"\n->  X25519 ", HeaderError),
        (b"\n-> X25519 ", b"\n-> X25519 x ", HeaderError),  # three arguments
        (b"age-encryption.org/v1\n", b"age-encryption.org/v1\r\n", UnsupportedVersionError),
    ],
)
def test_malformed_headers(short_end: bytes, old: bytes, new: bytes, expected: type[AgeError]) -> None:
    error, written = attempt(replace_in_header(short_end, old, new))
    assert type(error) is expected, error
    assert written == b""


def test_non_canonical_or_badly_wrapped_base64(short_end: bytes) -> None:
    lines = short_end.split(b"\n")
    body = lines[2]  # 43 characters encode 32 bytes; the last one carries 2 unused bits
    last = body[-1:]
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    non_canonical = bytes([alphabet[alphabet.index(last) ^ 1]])
    cases = [
        body[:-1] + non_canonical,  # same bytes, different (non-canonical) encoding
        body + b"=",  # padding
        body + b"A" * 21 + b"\n",  # a 64-column line followed by an empty line: 48 + 0 bytes, wrong size
        body + b"A" * 22,  # 65 columns
    ]
    for new in cases:
        error, written = attempt(replace_in_header(short_end, b"\n" + body + b"\n", b"\n" + new + b"\n"))
        assert isinstance(error, HeaderError), (new, error)
        assert written == b""


# The payload


def test_flipped_byte_in_the_payload_nonce(short_end: bytes) -> None:
    error, written = attempt(flip(short_end, payload_start(short_end) - 5))
    assert isinstance(error, ChunkAuthenticationError)
    assert error.chunk_index == 0
    assert written == b""


def test_flipped_byte_in_a_middle_chunk(short_end: bytes) -> None:
    error, written = attempt(flip(short_end, chunk_start(short_end, 2) + 12345))
    assert type(error) is ChunkAuthenticationError
    assert str(error) == "chunk 2 (counting from 0) failed authentication (corrupted or tampered)"
    assert written == SHORT_END[: 2 * CHUNK_SIZE]  # chunks 0 and 1, authenticated; nothing of chunk 2


def test_flipped_byte_in_a_short_last_chunk(short_end: bytes) -> None:
    error, written = attempt(flip(short_end, len(short_end) - 1))  # in the tag
    assert isinstance(error, TruncatedOrCorruptedError)
    assert isinstance(error, ChunkAuthenticationError)
    assert error.chunk_index == 3
    assert written == SHORT_END[: 3 * CHUNK_SIZE]


def test_flipped_byte_in_a_full_last_chunk(full_end: bytes) -> None:
    error, written = attempt(flip(full_end, chunk_start(full_end, 2) + 10))
    assert type(error) is ChunkAuthenticationError
    assert error.chunk_index == 2
    assert written == FULL_END[: 2 * CHUNK_SIZE]


def test_swapped_chunks(short_end: bytes) -> None:
    first, second = chunk_start(short_end, 0), chunk_start(short_end, 1)
    swapped = short_end[:first] + short_end[second : second + ENCRYPTED_CHUNK] + short_end[first:second]
    swapped += short_end[second + ENCRYPTED_CHUNK :]
    error, written = attempt(swapped)
    assert isinstance(error, ChunkAuthenticationError)
    assert error.chunk_index == 0
    assert written == b""


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_truncated_at_a_chunk_boundary(short_end: bytes, chunks: int) -> None:
    error, written = attempt(short_end[: chunk_start(short_end, chunks)])
    assert type(error) is TruncatedError
    assert "truncated" in str(error)
    assert written == SHORT_END[: (chunks - 1) * CHUNK_SIZE]  # the last full chunk is held: it is not final


@pytest.mark.parametrize("cut", [1, 15, 16, 17, 1000, ENCRYPTED_CHUNK - 1])
def test_truncated_inside_a_chunk(short_end: bytes, cut: int) -> None:
    error, written = attempt(short_end[: chunk_start(short_end, 2) + cut])
    assert isinstance(error, TruncatedError)
    assert written == SHORT_END[: 2 * CHUNK_SIZE]


@pytest.mark.parametrize("where", ["empty", "header", "before the MAC line ends", "nonce", "no chunk"])
def test_truncated_before_the_payload(short_end: bytes, where: str) -> None:
    cut = {
        "empty": 0,
        "header": 30,
        "before the MAC line ends": short_end.index(b"\n--- ") + 10,
        "nonce": payload_start(short_end) - 3,
        "no chunk": payload_start(short_end),
    }[where]
    error, written = attempt(short_end[:cut])
    assert isinstance(error, TruncatedError), error
    assert written == b""


@pytest.mark.parametrize("extra", [1, 100, 4096])
def test_appended_bytes_after_a_short_last_chunk(short_end: bytes, extra: int) -> None:
    error, written = attempt(short_end + os.urandom(extra))
    assert isinstance(error, TrailingDataError), error
    assert "follows the final chunk" in str(error)
    assert written == SHORT_END[: 3 * CHUNK_SIZE]


@pytest.mark.parametrize("extra", [4097, ENCRYPTED_CHUNK])
def test_much_appended_after_a_short_last_chunk_is_an_authentication_failure(short_end: bytes, extra: int) -> None:
    """Past 4 KiB the reader no longer looks for the end of a short final chunk (nor does age)."""
    error, written = attempt(short_end + os.urandom(extra))
    assert isinstance(error, ChunkAuthenticationError)
    assert not isinstance(error, TrailingDataError)
    assert error.chunk_index == 3
    assert written == SHORT_END[: 3 * CHUNK_SIZE]


@pytest.mark.parametrize("extra", [1, 17, ENCRYPTED_CHUNK])
def test_appended_bytes_after_a_full_last_chunk(full_end: bytes, extra: int) -> None:
    error, written = attempt(full_end + os.urandom(extra))
    assert isinstance(error, TrailingDataError)
    assert written == FULL_END[: 2 * CHUNK_SIZE]


def test_appended_bytes_after_an_empty_file() -> None:
    ciphertext = seal(b"")
    assert attempt(ciphertext) == (None, b"")
    error, written = attempt(ciphertext + b"\n")
    assert isinstance(error, TrailingDataError)
    assert written == b""


def test_a_final_chunk_flag_in_the_middle_or_an_empty_final_chunk() -> None:
    """Files a correct encoder never writes, made with the same keys as a real one."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    from backups.age.header import encode_header
    from backups.age.stream import chunk_nonce, payload_key

    file_key, nonce = os.urandom(16), os.urandom(16)
    header = encode_header(IDENTITY.recipient.wrap(file_key), file_key) + nonce
    aead = ChaCha20Poly1305(payload_key(file_key, nonce))
    full = os.urandom(CHUNK_SIZE)

    def chunk(index: int, final: bool, data: bytes) -> bytes:
        return aead.encrypt(chunk_nonce(index, final), data, None)

    early_final = header + chunk(0, True, full) + chunk(1, True, b"x")
    error, written = attempt(early_final)
    assert isinstance(error, TrailingDataError)
    assert written == b""

    empty_final = header + chunk(0, False, full) + chunk(1, True, b"")
    error, written = attempt(empty_final)
    assert type(error) is PayloadError
    assert "empty" in str(error)
    assert written == full

    valid = header + chunk(0, False, full) + chunk(1, True, b"x")
    assert attempt(valid) == (None, full + b"x")


# Across the 1 MiB blocks (16 chunks) the decryptor reads at a time

LONG = os.urandom(20 * CHUNK_SIZE + 100)  # chunks 0..20


@pytest.fixture(scope="module")
def long_file() -> bytes:
    return seal(LONG)


def test_long_file_intact(long_file: bytes) -> None:
    assert attempt(long_file) == (None, LONG)


@pytest.mark.parametrize("chunks", [15, 16, 17])
def test_long_file_truncated_at_a_block_boundary(long_file: bytes, chunks: int) -> None:
    error, written = attempt(long_file[: chunk_start(long_file, chunks)])
    assert type(error) is TruncatedError
    assert written == LONG[: (chunks - 1) * CHUNK_SIZE]


@pytest.mark.parametrize("index", [15, 16, 18])
def test_long_file_corrupted_chunk(long_file: bytes, index: int) -> None:
    error, written = attempt(flip(long_file, chunk_start(long_file, index) + 3))
    assert type(error) is ChunkAuthenticationError
    assert error.chunk_index == index
    assert written == LONG[: index * CHUNK_SIZE]


def test_the_reader_keeps_failing_after_an_error(long_file: bytes) -> None:
    """A caller that catches the error and reads on must not see a clean end of file."""
    reader = Decryptor(io.BytesIO(flip(long_file, chunk_start(long_file, 18) + 3)), [IDENTITY])
    received = bytearray()
    with pytest.raises(ChunkAuthenticationError):
        while piece := reader.read(10_000):
            received += piece
    assert received == LONG[: 18 * CHUNK_SIZE]
    for _ in range(2):
        with pytest.raises(ChunkAuthenticationError):
            reader.read(10_000)
    with pytest.raises(AgeError, match="not finished"):
        _ = reader.stats
