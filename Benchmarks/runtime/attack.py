#!/usr/bin/env python3
"""Attacks a running TrustedPals instance as the network attacker of issue 10.

  attack.py --keys DIR --faulty F --claim J --session HEX --rounds R --targets H:P,H:P,... [--at MS]

Controls host F (its host key from DIR/host-key-F.json: a faulty host within
t) and anyone without a key. Against every target it tries, and reports what
each attempt achieved at the TLS level:
  stranger   plain TCP, no TLS: a hello, `omitted` and `crashed` notices and
             frames claiming to come from p<claim>
  impostor   TLS 1.3 with a fresh key of its own (not in the roster),
             claiming to be p<claim>
  notices    as the authenticated faulty host F: `omitted` / `crashed`
             notices whose sender field names p<claim>
  squatter   as F: frames for every round of the session whose sender field
             names p<claim> (they must never take p<claim>'s slot)
Prints one JSON object: the attempts and whether the peer accepted the TLS
handshake for each.
"""
import argparse, datetime, json, os, socket, ssl, struct, tempfile, time
from concurrent.futures import ThreadPoolExecutor

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HELLO, FRAME, OMITTED, CRASHED = 1, 2, 3, 4


def certificate(key, tmp, tag):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, tag)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cp, kp = os.path.join(tmp, f"{tag}.pem"), os.path.join(tmp, f"{tag}.key")
    open(cp, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(kp, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cp, kp)
    return ctx


def envelope(kind, session, rnd, sender, payload=b""):
    return struct.pack(">IBQIH", 15 + len(payload), kind, session, rnd, sender) + payload


def attempt(target, ctx, data):
    """Connects (TLS when ctx), writes data, waits for the peer to close.
    Returns whether the TLS handshake was accepted and whether every byte was written."""
    host, port = target.rsplit(":", 1)
    handshake, written, error = False, False, None
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        if ctx:
            s = ctx.wrap_socket(s)
            # TLS 1.3: the server judges the client's certificate after the
            # client's handshake ends; a rejected one shows on the next read.
            s.settimeout(0.3)
            try:
                if s.recv(1) == b"":
                    raise ssl.SSLError("closed by the peer")
            except (socket.timeout, TimeoutError):
                pass
        handshake = True
        s.settimeout(5)
        s.sendall(data)
        written = True
        try:
            s.settimeout(0.3)
            s.recv(1)
        except (socket.timeout, TimeoutError, OSError, ssl.SSLError):
            pass
        s.close()
    except (OSError, ssl.SSLError) as e:
        error = str(e) or type(e).__name__
    return {"handshake": handshake, "written": written, "error": error}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--keys", required=True)
    a.add_argument("--faulty", type=int, required=True)
    a.add_argument("--claim", type=int, required=True)
    a.add_argument("--session", required=True)
    a.add_argument("--rounds", type=int, required=True)
    a.add_argument("--frame-size", type=int, default=72)
    a.add_argument("--targets", required=True)
    a.add_argument("--at", type=int, help="attack at this moment, milliseconds since the Unix epoch")
    o = a.parse_args()
    session = int(o.session, 16)
    tmp = tempfile.mkdtemp()
    k = json.load(open(os.path.join(o.keys, f"host-key-{o.faulty}.json")))
    faulty = certificate(ec.derive_private_key(int(k["privateKey"], 16), ec.SECP256R1()), tmp, "faulty")
    impostor = certificate(ec.generate_private_key(ec.SECP256R1()), tmp, "impostor")
    rounds = range(1, o.rounds + 1)
    claim = o.claim
    notices = b"".join(envelope(OMITTED, session, r, claim) + envelope(CRASHED, session, r, claim) for r in rounds)
    frames = b"".join(envelope(FRAME, session, r, claim, os.urandom(o.frame_size)) for r in rounds)
    claimed = envelope(HELLO, session, 0, claim) + notices + frames
    attacks = [("stranger", None, claimed), ("impostor", impostor, claimed), ("notices", faulty, notices),
               ("squatter", faulty, frames)]
    jobs = [(t, a) for t in o.targets.split(",") for a in attacks]
    if o.at is not None:
        time.sleep(max(0.0, o.at / 1000 - time.time()))
    # Every attempt at once: the instance lasts only a few seconds.
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda j: attempt(j[0], j[1][1], j[1][2]), jobs))
    print(json.dumps([{"target": t, "attack": a[0], **r} for (t, a), r in zip(jobs, results)]))


if __name__ == "__main__":
    main()
