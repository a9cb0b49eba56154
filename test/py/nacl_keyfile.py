"""Independent $NACL keyfile implementation for cross-checks: Debian's python3-nacl (libsodium).

usage: nacl_keyfile.py decrypt FILE PASSWORD      -> prints the decrypted JSON
       nacl_keyfile.py encrypt FILE PASSWORD JSON -> writes $NACL ‖ nonce ‖ secretbox(JSON)
"""
import sys
import nacl.pwhash
import nacl.secret
import nacl.utils

SALT = bytes.fromhex("137183dff15a09bc9c90b5518739e9b1")


def key(password: str) -> bytes:
    return nacl.pwhash.argon2i.kdf(
        nacl.secret.SecretBox.KEY_SIZE, password.encode(), SALT,
        opslimit=8, memlimit=536870912)


def main() -> None:
    op, path, password = sys.argv[1], sys.argv[2], sys.argv[3]
    box = nacl.secret.SecretBox(key(password))
    if op == "decrypt":
        data = open(path, "rb").read()
        assert data[:5] == b"$NACL", "no $NACL header"
        sys.stdout.write(box.decrypt(data[5:]).decode())
    elif op == "encrypt":
        nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
        sealed = box.encrypt(sys.argv[4].encode(), nonce)  # nonce ‖ mac ‖ ciphertext
        with open(path, "wb") as f:
            f.write(b"$NACL" + bytes(sealed))
    else:
        raise SystemExit("unknown op")


main()
