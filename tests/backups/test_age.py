"""The age implementation against the real ``age`` tool, both directions, and its streaming API."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from backups.age import (
    CHUNK_SIZE,
    AgeError,
    Decryptor,
    Encryptor,
    KeyFormatError,
    NoIdentityMatchError,
    RecipientsError,
    ScryptIdentity,
    ScryptRecipient,
    Stanza,
    TruncatedError,
    X25519Identity,
    X25519Recipient,
    decrypt,
    encrypt,
    load_identities,
    parse_identities,
    parse_recipients,
)

from .agetools import KeyFile, age, keygen, needs_age

pytestmark = needs_age

# The 64 KiB chunk boundaries, and the 1 MiB blocks (16 chunks) the implementation reads at a time.
SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 16 * CHUNK_SIZE, 1024 * 1024 + 12345]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> KeyFile:
    return keygen(tmp_path_factory.mktemp("keys") / "key.txt")


@pytest.fixture(scope="module")
def second_key(tmp_path_factory: pytest.TempPathFactory) -> KeyFile:
    return keygen(tmp_path_factory.mktemp("keys") / "second.txt")


def ours_encrypt(data: bytes, recipients: list, **kwargs: object) -> tuple[bytes, object]:
    out = io.BytesIO()
    stats = encrypt(io.BytesIO(data), out, recipients, **kwargs)  # type: ignore[arg-type]
    return out.getvalue(), stats


def ours_decrypt(ciphertext: bytes, identities: list) -> bytes:
    out = io.BytesIO()
    decrypt(io.BytesIO(ciphertext), out, identities)
    return out.getvalue()


# Keys


def test_identity_file_from_age_keygen_gives_the_same_recipient(key: KeyFile) -> None:
    identities = load_identities(key.path)
    assert len(identities) == 1
    assert str(identities[0].recipient) == key.recipient
    assert X25519Recipient.parse(key.recipient) == identities[0].recipient


def test_identity_file_comments_blank_lines_and_crlf(key: KeyFile, second_key: KeyFile) -> None:
    text = "\r\n".join(["# first", "", *key.path.read_text().splitlines(), "   ", second_key.path.read_text()])
    identities = parse_identities(text)
    assert [str(i.recipient) for i in identities] == [key.recipient, second_key.recipient]


def test_identity_file_errors_name_the_line_but_not_the_key(key: KeyFile) -> None:
    secret = next(line for line in key.path.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    broken = secret[:-1] + ("Q" if secret[-1] != "Q" else "P")
    with pytest.raises(KeyFormatError, match="line 3") as caught:
        parse_identities(f"# one\n\n{broken}\n")
    assert broken[15:] not in str(caught.value)
    with pytest.raises(KeyFormatError, match="no identities"):
        parse_identities("# only a comment\n\n")
    with pytest.raises(KeyFormatError, match="upper-case"):
        X25519Identity.parse(secret.lower())


def test_generated_key_pair_works_with_the_age_tools(tmp_path: Path) -> None:
    identity = X25519Identity.generate()
    key_file = tmp_path / "ours.txt"
    key_file.write_text(identity.identity_file())
    assert key_file.read_text().splitlines()[1] == f"# public key: {identity.recipient}"
    derived = subprocess.run(["age-keygen", "-y", str(key_file)], capture_output=True, text=True, check=True)
    assert derived.stdout.strip() == str(identity.recipient)
    ciphertext, _ = ours_encrypt(b"generated", [identity.recipient])
    assert age("-d", "-i", str(key_file), data=ciphertext).stdout == b"generated"
    assert "AGE-SECRET-KEY" not in repr(identity)


def test_recipients_file() -> None:
    one, two = X25519Identity.generate().recipient, X25519Identity.generate().recipient
    assert parse_recipients(f"# backups\n{one}\n\n{two}\n") == [one, two]
    with pytest.raises(KeyFormatError, match="line 2"):
        parse_recipients(f"{one}\n{str(two).upper()}\n")


# Interoperability, both directions


@pytest.mark.parametrize("size", SIZES)
def test_we_encrypt_age_decrypts(key: KeyFile, size: int) -> None:
    data = os.urandom(size)
    ciphertext, stats = ours_encrypt(data, [X25519Recipient.parse(key.recipient)])
    result = age("-d", "-i", str(key.path), data=ciphertext)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    assert stats.plaintext_size == size  # type: ignore[attr-defined]
    assert stats.plaintext_sha256 == hashlib.sha256(data).hexdigest()  # type: ignore[attr-defined]
    assert stats.ciphertext_size == len(ciphertext)  # type: ignore[attr-defined]
    assert stats.ciphertext_sha256 == hashlib.sha256(ciphertext).hexdigest()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
def test_age_encrypts_we_decrypt(key: KeyFile, size: int) -> None:
    data = os.urandom(size)
    result = age("-r", key.recipient, data=data)
    assert result.returncode == 0, result.stderr
    out = io.BytesIO()
    stats = decrypt(io.BytesIO(result.stdout), out, load_identities(key.path))
    assert out.getvalue() == data
    assert (stats.plaintext_size, stats.ciphertext_size) == (size, len(result.stdout))
    assert stats.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert stats.ciphertext_sha256 == hashlib.sha256(result.stdout).hexdigest()


def test_multiple_recipients_we_encrypt(key: KeyFile, second_key: KeyFile) -> None:
    ours = X25519Identity.generate()
    data = os.urandom(CHUNK_SIZE + 7)
    recipients = [X25519Recipient.parse(key.recipient), ours.recipient, X25519Recipient.parse(second_key.recipient)]
    ciphertext, _ = ours_encrypt(data, recipients)
    assert ciphertext.count(b"\n-> X25519 ") == 3
    for key_file in (key, second_key):
        assert age("-d", "-i", str(key_file.path), data=ciphertext).stdout == data
    for identities in (load_identities(key.path), [ours], load_identities(second_key.path)):
        assert ours_decrypt(ciphertext, identities) == data
    with pytest.raises(NoIdentityMatchError):
        ours_decrypt(ciphertext, [X25519Identity.generate()])


def test_multiple_recipients_age_encrypts(key: KeyFile, second_key: KeyFile) -> None:
    data = os.urandom(5000)
    result = age("-r", key.recipient, "-r", second_key.recipient, data=data)
    assert result.returncode == 0, result.stderr
    assert ours_decrypt(result.stdout, load_identities(second_key.path)) == data
    stranger = X25519Identity.generate()
    assert ours_decrypt(result.stdout, [stranger, *load_identities(key.path)]) == data


class _OpaqueRecipient:
    """A recipient of a type age does not know, with a body of several 64-column lines."""

    def __init__(self, body_size: int) -> None:
        self.body_size = body_size

    def wrap(self, file_key: bytes) -> list[Stanza]:
        return [Stanza(("example.com/opaque", "arg-1", "+/=~"), os.urandom(self.body_size))]


@pytest.mark.parametrize("body_size", [0, 47, 48, 96, 100])
def test_unknown_stanzas_with_long_bodies_are_wrapped_as_age_expects(key: KeyFile, body_size: int) -> None:
    """age checks the header MAC over our line wrapping, and ignores the stanza it does not know."""
    data = os.urandom(1000)
    ciphertext, _ = ours_encrypt(data, [_OpaqueRecipient(body_size), X25519Recipient.parse(key.recipient)])
    header = ciphertext.split(b"\n---")[0].split(b"\n")
    body_lines = header[2 : header.index(next(line for line in header[2:] if line.startswith(b"-> ")))]
    assert [len(line) for line in body_lines[:-1]] == [64] * (len(body_lines) - 1)
    assert len(body_lines[-1]) < 64
    result = age("-d", "-i", str(key.path), data=ciphertext)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    assert ours_decrypt(ciphertext, load_identities(key.path)) == data


def test_no_recipient_is_refused() -> None:
    with pytest.raises(RecipientsError):
        Encryptor(io.BytesIO(), [])


# Streaming API


def test_encryptor_accepts_writes_of_any_size(key: KeyFile) -> None:
    data = os.urandom(3 * CHUNK_SIZE + 999)
    out = io.BytesIO()
    sizes = [1, CHUNK_SIZE - 1, 0, CHUNK_SIZE, 1, 2 * CHUNK_SIZE, 5]
    position = 0
    with Encryptor(out, [X25519Recipient.parse(key.recipient)]) as writer:
        for size in sizes:
            writer.write(bytearray(data[position : position + size]))  # mutable buffers are copied
            position += size
        writer.write(memoryview(data)[position:])
    assert age("-d", "-i", str(key.path), data=out.getvalue()).stdout == data
    assert writer.stats.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert writer.stats.ciphertext_sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_the_caller_may_reuse_its_buffer_at_once(key: KeyFile) -> None:
    """Hashing runs later on a thread, so what write() was given must be copied, not kept."""
    buffer = bytearray(256 * 1024)
    expected = hashlib.sha256()
    out = io.BytesIO()
    with Encryptor(out, [X25519Recipient.parse(key.recipient)], threads=True) as writer:
        for _ in range(16):  # 4 MiB: the hashing threads start after 1 MiB
            buffer[:] = os.urandom(len(buffer))
            expected.update(buffer)
            writer.write(buffer)
    assert writer.stats.plaintext_sha256 == expected.hexdigest()
    decrypted = age("-d", "-i", str(key.path), data=out.getvalue()).stdout
    assert hashlib.sha256(decrypted).hexdigest() == expected.hexdigest()


def test_a_tar_stream_goes_straight_through_both_ways(key: KeyFile, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    files = {f"file{i}.bin": os.urandom(i * 40_000) for i in range(4)}
    for name, content in files.items():
        (source / name).write_bytes(content)
    out = io.BytesIO()
    recipient = X25519Recipient.parse(key.recipient)
    with Encryptor(out, [recipient]) as writer, tarfile.open(fileobj=writer, mode="w|") as tar:
        tar.add(source, arcname="source")
    plain_tar = age("-d", "-i", str(key.path), data=out.getvalue()).stdout
    with tarfile.open(fileobj=io.BytesIO(plain_tar)) as tar:
        assert sorted(tar.getnames()) == ["source", *sorted(f"source/{name}" for name in files)]
    with Decryptor(io.BytesIO(out.getvalue()), load_identities(key.path)) as reader:
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            extracted = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}  # type: ignore[union-attr]
        reader.read()  # tarfile stops at the end-of-archive blocks; the rest is tar padding
        assert reader.stats.plaintext_sha256 == hashlib.sha256(plain_tar).hexdigest()
    assert extracted == {f"source/{name}": content for name, content in files.items()}


def test_a_subprocess_stdout_is_encrypted_as_it_comes(key: KeyFile) -> None:
    script = "import sys\nfor i in range(300):\n    sys.stdout.buffer.write(bytes([i % 256]) * 1000)\n"
    expected = b"".join(bytes([i % 256]) * 1000 for i in range(300))
    with subprocess.Popen([".venv/bin/python", "-c", script], stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        out = io.BytesIO()
        stats = encrypt(process.stdout, out, [X25519Recipient.parse(key.recipient)])
    assert process.returncode == 0
    assert stats.plaintext_size == len(expected)
    assert age("-d", "-i", str(key.path), data=out.getvalue()).stdout == expected


def test_an_exception_in_the_with_block_leaves_no_valid_file(key: KeyFile) -> None:
    identity = load_identities(key.path)
    out = io.BytesIO()
    with pytest.raises(RuntimeError), Encryptor(out, [identity[0].recipient]) as writer:
        writer.write(os.urandom(2 * CHUNK_SIZE + 10))
        raise RuntimeError("pg_dump failed")
    result = age("-d", "-i", str(key.path), data=out.getvalue())
    assert result.returncode != 0
    with pytest.raises(TruncatedError):
        ours_decrypt(out.getvalue(), identity)
    with pytest.raises(AgeError, match="not finished"):
        _ = writer.stats
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"more")


def test_decryptor_reads_in_any_pieces(key: KeyFile) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 3)
    ciphertext = age("-r", key.recipient, data=data).stdout
    with Decryptor(io.BytesIO(ciphertext), load_identities(key.path)) as reader:
        pieces = [reader.read(1), reader.read(CHUNK_SIZE + 5), reader.read()]
        assert reader.read() == b""
        assert reader.stats.plaintext_size == len(data)
    assert b"".join(pieces) == data


@pytest.mark.parametrize(("hashing", "threads"), [(False, False), (True, False), (True, True)])
def test_hashing_options(hashing: bool, threads: bool) -> None:
    identity = X25519Identity.generate()
    data = os.urandom(3 * 1024 * 1024 + 5)  # several 1 MiB hashing batches
    ciphertext, stats = ours_encrypt(data, [identity.recipient], hashing=hashing, threads=threads)
    out = io.BytesIO()
    decrypt_stats = decrypt(io.BytesIO(ciphertext), out, [identity], hashing=hashing, threads=threads)
    assert out.getvalue() == data
    expected = (hashlib.sha256(data).hexdigest(), hashlib.sha256(ciphertext).hexdigest()) if hashing else (None, None)
    for result in (stats, decrypt_stats):
        assert (result.plaintext_sha256, result.ciphertext_sha256) == expected  # type: ignore[attr-defined]
        assert (result.plaintext_size, result.ciphertext_size) == (len(data), len(ciphertext))  # type: ignore[attr-defined]


# Mixing scrypt with other recipients


def test_scrypt_recipient_must_be_alone() -> None:
    with pytest.raises(RecipientsError, match="only recipient"):
        Encryptor(io.BytesIO(), [ScryptRecipient("pw", work_factor=2), X25519Identity.generate().recipient])
    with pytest.raises(NoIdentityMatchError, match="passphrase"):
        ours_decrypt(ours_encrypt(b"x", [ScryptRecipient("pw", work_factor=2)])[0], [X25519Identity.generate()])
    with pytest.raises(NoIdentityMatchError, match="incorrect"):
        ours_decrypt(ours_encrypt(b"x", [ScryptRecipient("pw", work_factor=2)])[0], [ScryptIdentity("other")])
