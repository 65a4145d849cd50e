"""SetUICustomization and GetUICustomization through boto3 unchanged: the pool-wide branding
(ALL), a client's own, the fallback from a client to ALL, the logo at its ImageUrl, and the
errors Cognito raises for CSS outside the documented classes, an oversized or non-image logo,
and an unknown client or pool.

Usage: boto3_ui_customization.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check and a final success line; exits non-zero on the first failure.
"""

import datetime
import struct
import sys
import urllib.request
import zlib

import boto3
from botocore.exceptions import ClientError

CSS = ".banner-customizable { background-color: #0b57d0; padding: 8px 8px 8px 8px }\n" \
      ".submitButton-customizable { background-color: rgb(20, 110, 60); }"


def png(width, height, filler=b""):
    """A valid grayscale PNG (with an optional private chunk to make it larger)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([(x * 7) % 256 for x in range(width)]) for _ in range(height))
    extra = chunk(b"grAy", filler) if filler else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        got = error.response["Error"]
        assert got["Code"] == code, (code, got)
        return got
    raise AssertionError("%s: expected %s" % (call.__name__, code))


def main(endpoint, key_id, secret):
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    pool_id = idp.create_user_pool(PoolName="boto3-branding")["UserPool"]["Id"]
    own = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="own")["UserPoolClient"]
    plain = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="plain")["UserPoolClient"]
    other_pool = idp.create_user_pool(PoolName="boto3-branding-other")["UserPool"]["Id"]
    stranger = idp.create_user_pool_client(UserPoolId=other_pool,
                                           ClientName="stranger")["UserPoolClient"]

    empty = idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]
    assert empty == {"UserPoolId": pool_id, "ClientId": "ALL"}, empty
    print("ok: a pool without branding answers its id and ALL")

    logo = png(64, 32)
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    set_all = idp.set_ui_customization(UserPoolId=pool_id, CSS=CSS, ImageFile=logo)["UICustomization"]
    assert set_all["UserPoolId"] == pool_id and set_all["ClientId"] == "ALL", set_all
    assert set_all["CSS"] == CSS, set_all
    assert set_all["CSSVersion"], set_all
    assert isinstance(set_all["CreationDate"], datetime.datetime), set_all
    assert set_all["LastModifiedDate"] >= before, set_all
    assert set_all["ImageUrl"].startswith(endpoint + "/" + pool_id + "/hosted/logo/ALL"), set_all
    with urllib.request.urlopen(set_all["ImageUrl"]) as answer:
        assert answer.headers["Content-Type"] == "image/png", answer.headers
        assert answer.read() == logo
    got = idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]
    assert got == set_all, (got, set_all)
    print("ok: the pool-wide branding is set, read back, and its logo served at ImageUrl")

    fallback = idp.get_ui_customization(UserPoolId=pool_id,
                                        ClientId=plain["ClientId"])["UICustomization"]
    assert fallback == set_all, fallback
    print("ok: a client without its own branding gets the pool's")

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
    client_css = ".label-customizable { font-weight: 700 }"
    mine = idp.set_ui_customization(UserPoolId=pool_id, ClientId=own["ClientId"], CSS=client_css,
                                    ImageFile=jpeg)["UICustomization"]
    assert mine["ClientId"] == own["ClientId"] and mine["CSS"] == client_css, mine
    with urllib.request.urlopen(mine["ImageUrl"]) as answer:
        assert answer.headers["Content-Type"] == "image/jpeg", answer.headers
        assert answer.read() == jpeg
    assert idp.get_ui_customization(UserPoolId=pool_id,
                                    ClientId=own["ClientId"])["UICustomization"] == mine
    assert idp.get_ui_customization(UserPoolId=pool_id,
                                    ClientId=plain["ClientId"])["UICustomization"] == set_all
    print("ok: a client's own branding takes precedence, for that client only")

    replaced = idp.set_ui_customization(UserPoolId=pool_id, ClientId="ALL",
                                        CSS=".label-customizable { font-weight: 400 }")
    replaced = replaced["UICustomization"]
    assert "ImageUrl" not in replaced, replaced
    assert replaced["CreationDate"] == set_all["CreationDate"], replaced
    print("ok: setting again replaces CSS and logo together and keeps the creation date")

    for css in ["body { color: red }",
                ".banner-customizable { background-image: none }",
                ".banner-customizable { background-color: url(https://evil.example/x) }",
                ".errorMessage-customizable { background: expression(alert(1)) }",
                "@import url(https://evil.example/x.css);",
                ".banner-customizable { background-color: red</style><script>alert(1)</script> }"]:
        expect_error("InvalidParameterException", idp.set_ui_customization,
                     UserPoolId=pool_id, CSS=css)
    print("ok: CSS outside the documented classes, or that fetches or scripts, is refused")

    oversized = png(8, 8, filler=b"\x00" * (100 * 1024))
    assert len(oversized) > 100 * 1024
    expect_error("InvalidParameterException", idp.set_ui_customization,
                 UserPoolId=pool_id, ImageFile=oversized)
    expect_error("InvalidParameterException", idp.set_ui_customization,
                 UserPoolId=pool_id, ImageFile=b"GIF89a" + b"\x00" * 32)
    print("ok: a logo over 100 KB, or not PNG or JPEG, is refused")

    expect_error("ResourceNotFoundException", idp.set_ui_customization,
                 UserPoolId=pool_id, ClientId=stranger["ClientId"], CSS=client_css)
    expect_error("ResourceNotFoundException", idp.get_ui_customization,
                 UserPoolId=pool_id, ClientId="1234567890abcdefghijklmnop")
    expect_error("ResourceNotFoundException", idp.get_ui_customization,
                 UserPoolId="us-east-1_NoSuchPol")
    assert idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == replaced
    print("ok: unknown clients and pools are refused, and refusals change nothing")

    print("boto3 ui customization: all checks passed")


if __name__ == "__main__":
    main(*sys.argv[1:])
