#!/usr/bin/env python3
"""Throws envelopes at one TrustedPals peer (the memory-bound measurement).

  flood.py --keys DIR --as I --target HOST:PORT --megabytes M [--keyless]

As host I (its host key from DIR/host-key-I.json, over mutual TLS 1.3), sends
64 KiB `frame` envelopes for fresh (session, round) pairs until M MiB have
been written, reconnecting whenever the peer closes the connection. With
--keyless, writes the same bytes over plain TCP without any key.
Prints the bytes written and the connections used.
"""
import argparse, datetime, json, os, socket, ssl, struct, sys, tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def certificate(key_file, tmp):
    k = json.load(open(key_file))
    key = ec.derive_private_key(int(k["privateKey"], 16), ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flood")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cp, kp = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    open(cp, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(kp, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cp, kp


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--keys", required=True)
    a.add_argument("--as", dest="me", type=int, required=True)
    a.add_argument("--target", required=True)
    a.add_argument("--megabytes", type=int, default=1024)
    a.add_argument("--keyless", action="store_true")
    o = a.parse_args()
    host, port = o.target.rsplit(":", 1)
    ctx = None
    if not o.keyless:
        tmp = tempfile.mkdtemp()
        cp, kp = certificate(os.path.join(o.keys, f"host-key-{o.me}.json"), tmp)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(cp, kp)
    payload = bytes([0x5A]) * 65536
    total, goal, connections, k = 0, o.megabytes << 20, 0, 0
    while total < goal:
        try:
            s = socket.create_connection((host, int(port)), timeout=10)
            if ctx:
                s = ctx.wrap_socket(s)
            connections += 1
            while total < goal:
                env = struct.pack(">IBQIH", 15 + len(payload), 2, 0xF000_0000 + k, k % 64, o.me) + payload
                s.sendall(env)
                total += len(env)
                k += 1
        except (OSError, ssl.SSLError):
            if connections > 100000:
                break
            continue
        finally:
            try:
                s.close()
            except Exception:
                pass
    print(json.dumps({"bytes": total, "connections": connections, "envelopes": k}))


if __name__ == "__main__":
    main()
