"""pycognito's SRP sign-in (USER_SRP_AUTH, then PASSWORD_VERIFIER) through boto3, for the
trigger tests: prints the ID token it got.

Usage: python srp_sign_in.py ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD
"""

import sys

import boto3
from botocore.config import Config
from pycognito.aws_srp import AWSSRP

endpoint, pool_id, client_id, username, password = sys.argv[1:6]
idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name=pool_id.split("_")[0],
    aws_access_key_id="unused",
    aws_secret_access_key="unused",
    config=Config(retries={"max_attempts": 1}),
)
result = AWSSRP(
    username=username, password=password, pool_id=pool_id, client_id=client_id, client=idp
).authenticate_user()
print(result["AuthenticationResult"]["IdToken"])
print("srp sign-in: passed")
